/**
 * The closed vocabulary of machine-readable error codes. Every refusal the platform gives,
 * over REST (problem+json `code`) or GraphQL (`extensions.code`), is one of these. Adding a
 * code is an API change: clients switch on them.
 */
export const errorCatalogue = {
  // 400
  bad_request: { status: 400, title: 'Bad request' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  query_too_complex: { status: 400, title: 'The GraphQL operation asks for too much at once' },
  invalid_consistency_token: {
    status: 400,
    title: 'The Consistency-Token header is not a token this platform issued',
  },
  // 401
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_token: { status: 401, title: 'Invalid token' },
  // 403
  forbidden: { status: 403, title: 'Forbidden' },
  category_not_permitted: { status: 403, title: 'Category not permitted for this provider' },
  provider_inactive: { status: 403, title: 'Provider not registered or suspended' },
  not_record_owner: { status: 403, title: 'Only the providing department may change this record' },
  authorisation_required: { status: 403, title: 'The subject’s authorisation is required' },
  authorisation_revoked: { status: 403, title: 'The authorisation was revoked' },
  authorisation_expired: { status: 403, title: 'The authorisation has expired' },
  authorisation_exhausted: { status: 403, title: 'The authorisation has been used up' },
  authorisation_mismatch: { status: 403, title: 'The authorisation is for another agency or subject' },
  agency_not_permitted: { status: 403, title: 'Agency not registered, suspended or unlicensed' },
  department_not_permitted: { status: 403, title: 'Department not registered or outside its remit' },
  not_identifying_department: { status: 403, title: 'Only the identifying department decides this entry' },
  not_responsible_department: { status: 403, title: 'Only the responsible department decides this' },
  // 404
  not_found: { status: 404, title: 'Not found' },
  // 405/406/408/409/412/413/414/415/416/417/431
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'Not acceptable' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  conflict: { status: 409, title: 'Conflict' },
  source_id_conflict: { status: 409, title: 'This sourceId already names a different record' },
  record_withdrawn: { status: 409, title: 'The record is withdrawn' },
  record_erased: { status: 410, title: 'The record’s content was lawfully erased' },
  concurrent_modification: { status: 409, title: 'The record changed meanwhile; retry' },
  objection_window_open: { status: 409, title: 'The objection window is still open' },
  already_under_objection: { status: 409, title: 'The item is already under objection' },
  already_under_repair: { status: 409, title: 'A repair of this item is already open' },
  already_repaired: { status: 409, title: 'This item was already repaired' },
  invalid_state: { status: 409, title: 'Not possible in the current state' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  batch_too_large: { status: 413, title: 'Too many items in one batch' },
  uri_too_long: { status: 414, title: 'A path segment is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  range_not_satisfiable: { status: 416, title: 'Range not satisfiable' },
  expectation_failed: { status: 417, title: 'The Expect header asks for what the server does not do' },
  headers_too_large: { status: 431, title: 'The request line and headers are too large' },
  // 422: the record or request is well-formed JSON but not acceptable
  validation_failed: { status: 422, title: 'Validation failed' },
  purpose_required: { status: 422, title: 'A purpose is required' },
  unknown_field: { status: 422, title: 'Field not defined by the catalogue' },
  prohibited_field: { status: 422, title: 'Prohibited personal information' },
  consent_required: { status: 422, title: 'Written consent of the subject required' },
  invalid_identifier: { status: 422, title: 'Invalid identifier' },
  subject_kind_mismatch: { status: 422, title: 'Subject kind does not fit the identifier' },
  subject_not_adult: { status: 422, title: 'Natural person without full civil capacity' },
  unknown_category: { status: 422, title: 'Unknown catalogue entry' },
  category_not_applicable: { status: 422, title: 'Catalogue entry does not apply to this subject kind' },
  related_persons_not_allowed: { status: 422, title: 'Related persons not allowed on this entry' },
  receiver_not_allowed: {
    status: 422,
    title: 'The receiver URL must be https to a public address, or a host the operator allowed',
  },
  receiver_unresolvable: { status: 422, title: 'The receiver’s host name does not resolve' },
  immutable_field: { status: 422, title: 'Field cannot change in a correction' },
  consent_invalid: { status: 422, title: 'The cited consent does not cover this record' },
  commitment_not_found: {
    status: 422,
    title: 'The credit commitment this record refers to is not on file for the subject',
  },
  authorisation_invalid: { status: 422, title: 'The authorisation request is not acceptable' },
  calendar_unavailable: { status: 422, title: 'The official calendar for that year is not loaded yet' },
  rule_invalid: { status: 422, title: 'The rule does not parse' },
  repair_not_yet_eligible: {
    status: 422,
    title: 'Not repairable yet: the minimum publicity period has not passed',
  },
  not_repairable: { status: 422, title: 'This item cannot be repaired' },
  grade_off_scale: { status: 422, title: 'The grade is not on the industry’s evaluation scale' },
  // 429/5xx
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  reports_busy: {
    status: 503,
    title: 'Every report renderer is busy and the queue is full; retry after the Retry-After delay',
  },
  database_unavailable: {
    status: 503,
    title: 'The database is unavailable; retry after the Retry-After delay',
  },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}

/** Codes of the 422 family, ordered from most to least significant for a record refusal. */
export const refusalPrecedence: readonly ErrorCode[] = [
  'prohibited_field',
  'consent_required',
  'consent_invalid',
  'commitment_not_found',
  'invalid_identifier',
  'purpose_required',
  'subject_kind_mismatch',
  'subject_not_adult',
  'unknown_category',
  'category_not_applicable',
  'related_persons_not_allowed',
  'immutable_field',
  'unknown_field',
  'validation_failed',
];
