import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const healthSchema = z.object({ status: z.literal('ok'), services: z.array(z.string()), time: z.string() });

/** `GET /health`: the process is alive and serving (readiness is `/ready`). */
export async function healthRoutes(app: FastifyInstance, options: { services: () => string[] }) {
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Liveness', response: { 200: healthSchema } },
    },
    async () => ({ status: 'ok' as const, services: options.services(), time: new Date().toISOString() }),
  );
}
