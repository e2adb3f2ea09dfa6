import type { FastifyTypeProvider } from 'fastify';
import type { z } from 'zod';

/** A reply as the serialiser reads it: arrays may be read-only (a catalogue's), nothing is written. */
type AsRead<T> = T extends readonly (infer Item)[]
  ? readonly AsRead<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: AsRead<T[Key]> }
    : T;

/**
 * Types a route's request from its Zod schemas and its reply from its response schemas, the
 * same objects `zodValidatorCompiler` checks and the OpenAPI document shows. A request part is
 * what validation answers (the schema's output, defaults applied); a reply is what the
 * serialiser is handed, which the response schema must accept (its input). A part whose schema
 * is not Zod (a body the domain validates, a streamed body) stays `unknown`.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? AsRead<z.input<this['schema']>> : unknown;
}
