/**
 * The physical baseline: a bare Fastify server, no validation, auth or database, in its own
 * process like the platform. `/bare/:id` answers a fixed listing-status body; `/bare/fixture/:name`
 * answers a body the harness captured from the platform (a report, a batch), parsed once, so the
 * baseline pays the same serialisation and transfer as the real route.
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
app.get('/bare/fixture/:name', async (request) => {
  const { name } = request.params as { name: string };
  let body = loaded.get(name);
  if (body === undefined) {
    body = JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'));
    loaded.set(name, body);
  }
  return body;
});
app.post('/bare/fixture/:name', async (request) => {
  const { name } = request.params as { name: string };
  return loaded.get(name) ?? JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8'));
});
const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
