import { z } from 'zod';
import { citizenIdSchema, subjectIdSchema, usccSchema } from '../identifiers/identifier-schemas.ts';
import * as common from './common.ts';
import * as consents from './consents.ts';
import * as grades from './grades.ts';
import * as openData from './open-data.ts';
import * as providers from './providers.ts';
import * as query from './query.ts';
import * as records from './records.ts';
import * as repair from './repair.ts';
import * as sanctions from './sanctions.ts';
import * as transparency from './transparency.ts';

/**
 * Names a schema for the OpenAPI document: Zod writes a schema with an `id` as a definition of
 * its own, which the document lifts into `components/schemas` and references wherever the
 * schema is used. The metadata it already has (a description, an identifier format) is kept.
 */
export function nameComponent(schema: z.ZodType, id: string): void {
  z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
}

/**
 * Every exported `fooBarSchema` of the API modules is the component `FooBar`, so a schema shared
 * by several routes is written once and generated clients get one type for it. Names follow the
 * exports: renaming an export renames the component.
 */
for (const module of [
  common,
  consents,
  grades,
  openData,
  providers,
  query,
  records,
  repair,
  sanctions,
  transparency,
]) {
  for (const [name, value] of Object.entries(module)) {
    if (!name.endsWith('Schema') || !(value instanceof z.ZodType)) continue;
    const base = name.slice(0, -'Schema'.length);
    nameComponent(value, `${base.charAt(0).toUpperCase()}${base.slice(1)}`);
  }
}
nameComponent(common.instant(), 'Instant');
nameComponent(common.occurredAtView(), 'OccurredAtView');
nameComponent(usccSchema, 'Uscc');
nameComponent(citizenIdSchema, 'CitizenId');
nameComponent(subjectIdSchema, 'SubjectId');
