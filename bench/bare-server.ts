/**
 * The physical baseline: a bare Fastify server, no validation, auth or database, in its own
 * process like the platform. `/bare/:id` answers a fixed listing-status body; `/bare/fixture/:name`
 * answers a body the harness captured from the platform (a report, a batch, a check), parsed once, so
 * the baseline pays the same serialisation and transfer as the real route; its POST form also reads
 * and parses the request body it is sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';

const fixtures = process.env.FIXTURE_DIR ?? '/tmp';
const loaded = new Map<string, unknown>();
const fixed = {
  subject: { kind: 'legal_person', id: '91370300MA3C5XXXXX' },
  status: { red: false, black: false, watch: false },
  entries: [],
  measures: [],
};

const app = Fastify({ logger: false });
// The same server-time header the platform sends, so batch and report baselines read alike.
// (Fastify's elapsedTime reads 0 here without a logger, so the start is taken by hand.)
const startedAt = new WeakMap<object, bigint>();
app.addHook('onRequest', async (request) => {
  startedAt.set(request, process.hrtime.bigint());
});
app.addHook('onSend', async (request, reply) => {
  const start = startedAt.get(request) ?? process.hrtime.bigint();
  reply.header('server-timing', `app;dur=${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)}`);
});
app.get('/bare/:id', async () => fixed);
/** A captured body, parsed once: the baseline pays serialisation and transfer, not file reads. */
function fixture(name: string): unknown {
  let body = loaded.get(name);
  if (body === undefined) {
    body = JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'));
    loaded.set(name, body);
  }
  return body;
}
app.get('/bare/fixture/:name', async (request) => fixture((request.params as { name: string }).name));
// A POST with a JSON body is read and parsed by Fastify's default parser before the fixed answer,
// as a bare route taking the platform's request bodies would be.
app.post('/bare/fixture/:name', async (request) => fixture((request.params as { name: string }).name));
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
