/**
 * The GraphQL schema of the query service. Every field answers under the same access policy as
 * the REST report (domain/access-policy.ts); refusals carry the REST codes in extensions.code.
 */
export const schema = /* GraphQL */ `
  "Any JSON value (a record's catalogue-defined data)."
  scalar JSON

  type Query {
    "The calling subject's own file."
    me: Subject
    "A subject as the caller may see it: agencies pass the subject's authorisation, government callers a purpose."
    subject(id: ID!, purpose: String, authorisation: String): Subject
    "Several subjects at once (government and the credit office); each is checked and logged on its own."
    subjects(ids: [ID!]!, purpose: String!): [Subject]!
  }

  type Subject {
    kind: String!
    id: String!
    name: String!
    "self, agency or government: the footing the caller reads this file on."
    audience: String!
    "Records the caller may see, newest first, optionally one catalogue class. Reading them is logged and uses one use of an agency's authorisation."
    records(class: String, first: Int = 50, after: String): RecordConnection!
    "The subject's authorisations of agencies, newest first (the subject only)."
    authorisations(first: Int = 50, after: String): AuthorisationConnection
    "The signed credit report on this subject as the caller may see it, the same as REST's GET /v1/subjects/{id}/report: numbered, registered for verification, logged with its digest, and one use of an agency's authorisation."
    report: SignedReport!
    "Who read this file (the subject and the credit office)."
    accessLog(first: Int = 50, after: String): AccessLogConnection
    "Red, black and watch lists in force (published and within validity)."
    listStatus: ListStatus!
    "Grades by domain (the subject, departments within their remit and the credit office; agencies read them in the credit report). Reads by others than the subject are logged."
    grades(first: Int = 50, after: String): Grades
  }

  type SignedReport {
    "The report number (报告编号)."
    number: ID!
    "SHA-256 (hex) of the report's canonical JSON."
    digest: String!
    "The code printed on the PDF's pages; GET /v1/reports/{number}/verification?code= confirms it."
    verificationCode: String!
    "The report (CreditReport of the OpenAPI document)."
    report: JSON!
    "Detached compact JWS (ES256) over the canonical JSON of report; keys at /.well-known/jwks.json."
    signature: String!
  }

  type Grades {
    "Per domain, the grade of the newest graded year if it is this year or the last and was not withdrawn."
    current: [Grade!]!
    "Assignments and withdrawals, oldest first (others than the subject: the last 12 months), a page at a time (grades' first and after)."
    history: GradeChangeConnection!
  }

  type GradeChangeEdge {
    cursor: String!
    node: GradeChange!
  }

  type GradeChangeConnection {
    edges: [GradeChangeEdge!]!
    pageInfo: PageInfo!
  }

  type Grade {
    evaluationId: ID!
    domain: String!
    year: Int!
    grade: String!
    ruleCode: String!
    department: String!
    assignedAt: String!
    "Under objection (异议中) until the objection closes; checks keep applying the grade meanwhile"
    disputed: Boolean!
  }

  type GradeChange {
    "assigned or withdrawn"
    change: String!
    evaluationId: ID!
    domain: String!
    year: Int!
    grade: String!
    ruleCode: String!
    department: String!
    at: String!
  }

  type ListStatus {
    red: Boolean!
    black: Boolean!
    watch: Boolean!
    entries: [ListEntry!]!
  }

  type ListEntry {
    id: ID!
    listKind: String!
    domain: String!
    validFrom: String
    validUntil: String
    measures: [String!]!
  }

  type Marks {
    withdrawn: Boolean!
    expired: Boolean!
    disputed: Boolean!
    "An objection was upheld: hidden from others until the department's correction lands."
    withheld: Boolean!
    repaired: Boolean!
  }

  type RelatedPerson {
    role: String!
    name: String!
    id: String!
  }

  type Record {
    recordId: ID!
    version: Int!
    category: String!
    categoryName: String!
    class: String!
    provider: String!
    occurredAt: String!
    receivedAt: String!
    severity: String
    publicity: String!
    displayUntil: String
    status: String!
    "Under objection (异议处理中): shown to everyone the record is shown to."
    disputed: Boolean!
    data: JSON!
    "Consent-gated fields of data (收入、存款…) left out: the caller is outside the purposes and recipients of the subject's consent, or it was revoked or lapsed."
    redacted: [String!]!
    relatedPersons: [RelatedPerson!]!
    hash: String!
    "Only in the subject's own file."
    marks: Marks
  }

  type RecordEdge {
    cursor: String!
    node: Record!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type RecordConnection {
    edges: [RecordEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Authorisation {
    id: ID!
    agency: String!
    purpose: String!
    scope: [String!]
    historyFrom: String
    expiresAt: String!
    maxUses: Int
    uses: Int!
    state: String!
    origin: String!
    grantedAt: String!
    revokedAt: String
  }

  type AuthorisationEdge {
    cursor: String!
    node: Authorisation!
  }

  type AuthorisationConnection {
    edges: [AuthorisationEdge!]!
    pageInfo: PageInfo!
  }

  type AccessedRecord {
    id: ID!
    version: Int!
  }

  type AccessLogEntry {
    id: ID!
    entryNo: Int!
    accessedAt: String!
    role: String!
    org: String
    purpose: String
    authorisationId: String
    reportId: String
    channel: String!
    records: [AccessedRecord!]!
    hash: String!
  }

  type AccessLogEdge {
    cursor: String!
    node: AccessLogEntry!
  }

  type AccessLogConnection {
    edges: [AccessLogEdge!]!
    pageInfo: PageInfo!
    "Whether the subject's whole log chain is intact (no entry altered, removed or reordered)."
    chainValid: Boolean!
  }
`;
