import { ProblemError } from '@credit/errors';
import { principalOf, type ZodTypeProvider } from '@credit/http';
import {
  agencyRegistrationSchema,
  agencySchema,
  departmentRegistrationSchema,
  departmentSchema,
  pageQuerySchema,
  pageSchema,
  toPage,
  usccSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type AgencyRow,
  agencyLicensed,
  type DepartmentRow,
} from '../../repositories/registry-repository.ts';

const byUscc = z.strictObject({ uscc: usccSchema });
/** Agencies are listed by USCC and departments by code, their keys. */
const agencyListQuery = pageQuerySchema(z.tuple([usccSchema]));
const departmentListQuery = pageQuerySchema(z.tuple([departmentRegistrationSchema.shape.code]));
const statusChange = z.strictObject({ reason: z.string().trim().min(1).max(500) });

function agencyView(row: AgencyRow, now: Date): z.infer<typeof agencySchema> {
  return {
    uscc: row.uscc,
    name: row.name,
    licenceNumber: row.licenceNumber,
    licenceValidUntil: row.licenceValidUntil,
    status: row.status,
    statusReason: row.statusReason,
    licensed: agencyLicensed(row, now),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function departmentView(row: DepartmentRow): z.infer<typeof departmentSchema> {
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** The credit office's registries of credit agencies and of government departments with their remit. */
export async function registryRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { registry } = app.queryService;

  app.post(
    '/v1/agencies',
    {
      config: { auth: { roles: ['admin'] }, headers: { location: [200, 201] } },
      schema: {
        tags: ['registries'],
        summary: 'Register a credit agency (or update its licence)',
        body: agencyRegistrationSchema,
        response: { 201: agencySchema, 200: agencySchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const now = app.clock();
      const { row, created } = await registry.registerAgency(body, now);
      reply.code(created ? 201 : 200).header('location', `/v1/agencies/${row.uscc}`);
      return agencyView(row, now);
    },
  );

  app.get(
    '/v1/agencies',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['registries'],
        summary: 'List credit agencies, by USCC',
        querystring: agencyListQuery,
        response: { 200: pageSchema(agencySchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const now = app.clock();
      const page = toPage(await registry.pageAgencies(cursor?.[0], limit + 1), limit, (row) => [row.uscc]);
      return { ...page, items: page.items.map((row) => agencyView(row, now)) };
    },
  );

  app.get(
    '/v1/agencies/:uscc',
    {
      config: { auth: { roles: ['admin', 'agency'] } },
      schema: {
        tags: ['registries'],
        summary: 'One credit agency (the agency itself or the credit office)',
        params: byUscc,
        response: { 200: agencySchema },
      },
    },
    async (request) => {
      const { uscc } = request.params;
      const principal = principalOf(request);
      if (!principal.roles.includes('admin') && principal.org !== uscc)
        throw new ProblemError('forbidden', 'an agency reads only its own entry');
      const row = await registry.findAgency(uscc);
      if (!row) throw new ProblemError('not_found', 'no such agency');
      return agencyView(row, app.clock());
    },
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['reinstate', 'active'],
  ] as const) {
    app.post(
      `/v1/agencies/:uscc/${action}`,
      {
        config: { auth: { roles: ['admin'] } },
        schema: {
          tags: ['registries'],
          summary:
            action === 'suspend'
              ? 'Suspend an agency: it is refused whatever it presents'
              : 'Reinstate a suspended agency',
          params: byUscc,
          body: statusChange,
          response: { 200: agencySchema },
        },
      },
      async (request) => {
        const { uscc } = request.params;
        const { reason } = request.body;
        const now = app.clock();
        const row = await registry.setAgencyStatus(uscc, status, reason, now);
        if (!row) throw new ProblemError('not_found', 'no such agency');
        return agencyView(row, now);
      },
    );
  }

  app.post(
    '/v1/departments',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['registries'],
        summary: 'Register a government department and its remit (the classes it may query)',
        body: departmentRegistrationSchema,
        response: { 200: departmentSchema },
      },
    },
    async (request) => departmentView(await registry.registerDepartment(request.body, app.clock())),
  );

  app.get(
    '/v1/departments',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['registries'],
        summary: 'List government departments, by code',
        querystring: departmentListQuery,
        response: { 200: pageSchema(departmentSchema) },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const rows = await registry.pageDepartments(cursor?.[0], limit + 1);
      const page = toPage(rows, limit, (row) => [row.code]);
      return { ...page, items: page.items.map(departmentView) };
    },
  );
}
