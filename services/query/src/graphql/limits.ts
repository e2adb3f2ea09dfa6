import { ProblemError } from '@credit/errors';
import type { GraphqlLimits } from '@credit/http';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * What a field costs each time it is resolved: the fields that read the database cost 1, and
 * `records` 2, since each also appends an access-log entry (and takes a use of an agency's
 * authorisation). Plain fields of an object already read cost nothing.
 */
const fieldCost: Record<string, number> = {
  me: 1,
  subject: 1,
  subjects: 1,
  records: 2,
  report: 2,
  listStatus: 1,
  authorisations: 1,
  accessLog: 1,
};

export interface QueryShape {
  aliases: number;
  depth: number;
  cost: number;
  /** Fields in the operation with its fragments expanded (a fragment spread twice counts twice). */
  fields: number;
}

/**
 * Most fields an operation may spell out once its fragments are expanded. Not a setting: it
 * bounds the measuring itself, since fragments that spread each other twice over grow
 * exponentially while the document stays small.
 */
export const maxExpandedFields = 10_000;

/** Most subjects `subjects(ids:)` resolves (its resolver refuses more). */
const maxSubjectsPerCall = 100;

function listLength(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  if (!value) return 1;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const bound = variables[value.name.value];
    return Array.isArray(bound) ? bound.length : 1;
  }
  return 1;
}

/**
 * Measures the operation a request will execute, fragments expanded: its aliases, its deepest
 * field, and its cost, where the fields under `subjects(ids:)` count once per subject named, so
 * every access-logged read counts, however it is spelled (aliases, fragments, lists).
 */
export function measureQuery(
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
): QueryShape {
  // Without a name, the only operation (graphql-js refuses a nameless choice among several).
  const operation = getOperationAST(document, operationName);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const shape: QueryShape = { aliases: 0, depth: 0, cost: 0, fields: 0 };
  if (!operation) return shape;

  // Measured before validation too (so a huge document is refused before graphql-js spends
  // time validating it): a fragment already being expanded on this path is not expanded again.
  const expanding = new Set<string>();
  const visit = (selectionSet: SelectionSetNode, depth: number, times: number) => {
    for (const selection of selectionSet.selections) {
      if (shape.fields > maxExpandedFields) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, depth, times);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || expanding.has(name)) continue;
        expanding.add(name);
        visit(fragment.selectionSet, depth, times);
        expanding.delete(name);
      } else {
        visitField(selection, depth + 1, times);
      }
    }
  };
  const visitField = (field: FieldNode, depth: number, times: number) => {
    shape.fields += 1;
    if (field.alias) shape.aliases += 1;
    shape.depth = Math.max(shape.depth, depth);
    shape.cost += (fieldCost[field.name.value] ?? 0) * times;
    if (!field.selectionSet) return;
    const ids = field.arguments?.find((argument) => argument.name.value === 'ids')?.value;
    const fanOut =
      field.name.value === 'subjects' ? Math.min(listLength(ids, variables), maxSubjectsPerCall) : 1;
    visit(field.selectionSet, depth, times * fanOut);
  };
  visit(operation.selectionSet, 0, 1);
  return shape;
}

/** Refuses, before anything runs, an operation beyond the limits; `query_too_complex` names which. */
export function enforceLimits(shape: QueryShape, limits: GraphqlLimits): void {
  const over = [
    shape.fields > maxExpandedFields ? `more than ${maxExpandedFields} fields` : undefined,
    shape.aliases > limits.maxAliases ? `${shape.aliases} aliases (at most ${limits.maxAliases})` : undefined,
    shape.depth > limits.maxDepth ? `depth ${shape.depth} (at most ${limits.maxDepth})` : undefined,
    shape.cost > limits.maxCost ? `cost ${shape.cost} (at most ${limits.maxCost})` : undefined,
  ].filter((reason): reason is string => reason !== undefined);
  if (over.length > 0)
    throw new ProblemError('query_too_complex', `the query asks for too much at once: ${over.join(', ')}`, {
      limits,
      measured: shape,
    });
}
