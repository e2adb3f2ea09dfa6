import type { z } from 'zod';
import { isPurposeRequiredIssue } from '../api/purpose.ts';
import { isInvalidIdentifierIssue } from '../identifiers/identifier-schemas.ts';

/** A refusal reason in the shape of `@credit/errors` FieldError, kept structural to avoid a dependency. */
export interface IssueError {
  path: string;
  code: 'unknown_field' | 'invalid_identifier' | 'validation_failed';
  message: string;
}

export function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const tail = path.map((p) => String(p)).join('.');
  if (!prefix) return tail;
  return tail ? `${prefix}.${tail}` : prefix;
}

/**
 * Maps Zod issues to field errors: an unrecognised key becomes `unknown_field` at its own path,
 * an identifier schema's refusal `invalid_identifier`.
 */
export function zodIssuesToErrors(issues: readonly z.core.$ZodIssue[], prefix = ''): IssueError[] {
  const errors: IssueError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({
          path: joinPath(prefix, [...issue.path, key]),
          code: 'unknown_field',
          message: `'${key}' is not defined here; the catalogue refuses unknown fields`,
        });
      }
      continue;
    }
    const code = isInvalidIdentifierIssue(issue) ? 'invalid_identifier' : 'validation_failed';
    errors.push({ path: joinPath(prefix, issue.path), code, message: issue.message });
  }
  return errors;
}

/** A request refusal: a record's refusals, and a missing purpose (`purpose_required`). */
export interface RequestIssueError extends Omit<IssueError, 'code'> {
  code: IssueError['code'] | 'purpose_required';
}

/** Maps the Zod issues of a request part (body, query, path) to field errors. */
export function requestIssuesToErrors(issues: readonly z.core.$ZodIssue[], prefix = ''): RequestIssueError[] {
  return issues.flatMap((issue): RequestIssueError[] =>
    isPurposeRequiredIssue(issue)
      ? [{ path: joinPath(prefix, issue.path), code: 'purpose_required' as const, message: issue.message }]
      : zodIssuesToErrors([issue], prefix),
  );
}
