/** Outcome of an identifier check: the normalised value, or why it is not a valid identifier. */
export type IdentifierCheck<T = string> = { ok: true; value: T } | { ok: false; reason: string };
