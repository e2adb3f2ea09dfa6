export const roles = ['provider', 'government', 'agency', 'platform', 'subject', 'admin'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** Who is calling, as established by a verified bearer token. */
export interface Principal {
  /** The token's `sub`. */
  sub: string;
  roles: Role[];
  /** Department, agency or platform code (`org` claim). */
  org?: string;
  /** The subject's own identifier (`subject_id` claim) for the `subject` role. */
  subjectId?: string;
  tokenId?: string;
  issuer: string;
  expiresAt?: Date;
}

export function hasRole(principal: Principal | undefined, ...wanted: Role[]): boolean {
  return principal !== undefined && wanted.some((role) => principal.roles.includes(role));
}

/**
 * Who did something, as history and case files record it. A subject's `sub` may well be its
 * identity number (identity providers for citizens often use it), and the subject is already
 * known by the blind index of whatever it acted on: it is recorded as `subject`, nothing more.
 */
export function actorOf(principal: Principal): string {
  return principal.roles.includes('subject') ? 'subject' : principal.sub;
}
