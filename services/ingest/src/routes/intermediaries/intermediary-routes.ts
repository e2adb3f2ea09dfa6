import { ProblemError } from '@credit/errors';
import type { ZodTypeProvider } from '@credit/http';
import {
  intermediaryIndustryCatalogue,
  intermediaryIndustryViewSchema,
  intermediaryRegistrationSchema,
  intermediarySchema,
  practitionerLinkSchema,
  practitionerSchema,
  usccSchema,
} from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { intermediaryView } from '../../repositories/intermediary-repository.ts';
import { mayReadAgency, registeredAgency, supervisingDepartment } from './supervision.ts';

const byUscc = z.strictObject({ uscc: usccSchema });

/**
 * Intermediaries in administrative approval (涉审中介机构, seeds/003 二、三(二)): the industries
 * as catalogue data, agencies registered by the departments supervising their industry, and
 * their practitioners.
 */
export async function intermediaryRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { intermediaries } = app.ingest;

  app.get(
    '/v1/intermediaries/industries',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['intermediaries'],
        summary: 'The intermediary industries: scope, supervisors, grade scale and commitment format',
        description:
          'The six groups of seeds/003 二. Each has its evaluation scale (best first, with the tier graded supervision reads) and its credit commitment format (信用承诺书): a declaration accepts every clause.',
        response: { 200: z.object({ items: z.array(intermediaryIndustryViewSchema) }) },
      },
    },
    async () => ({
      items: intermediaryIndustryCatalogue.map((industry) => ({
        ...industry,
        supervisors: [...industry.supervisors],
        grades: [...industry.grades],
        commitment: { title: industry.commitment.title, clauses: [...industry.commitment.clauses] },
      })),
    }),
  );

  app.post(
    '/v1/intermediaries',
    {
      config: { auth: { roles: ['provider'] }, problems: ['conflict'], headers: { location: [201] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'Register an intermediary with its industry (the supervising department)',
        description:
          'Only a department whose registry entry lists the industry among its `industries` may register it (403 `department_not_permitted`). The same registration again answers 200; another industry for the same organisation, 409.',
        body: intermediaryRegistrationSchema,
        response: { 201: intermediarySchema, 200: intermediarySchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const department = await supervisingDepartment(app, request, body.industry);
      const { created, row } = await intermediaries.register(
        { ...body.subject, industry: body.industry },
        department.code,
        app.clock(),
      );
      if (!created && row.industry !== body.industry)
        throw new ProblemError('conflict', `this organisation is registered as ${row.industry}`);
      if (created) reply.code(201).header('location', `/v1/intermediaries/${body.subject.id}`);
      return intermediaryView(row, body.subject.id);
    },
  );

  app.get(
    '/v1/intermediaries/:uscc',
    {
      config: { auth: { roles: ['provider', 'subject', 'admin'] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'An intermediary and its practitioners',
        description:
          'For the agency itself (its subject token), a department supervising its industry, and the credit office. Identity numbers are masked.',
        params: byUscc,
        response: {
          200: intermediarySchema.extend({ practitioners: z.array(practitionerSchema) }),
        },
      },
    },
    async (request) => {
      const { uscc } = request.params;
      const agency = await registeredAgency(app, uscc);
      await mayReadAgency(app, request, agency);
      return {
        ...intermediaryView(agency, uscc),
        practitioners: await intermediaries.practitionersOf(agency.subjectKey, uscc),
      };
    },
  );

  app.post(
    '/v1/intermediaries/:uscc/practitioners',
    {
      config: { auth: { roles: ['provider'] }, headers: { location: [201] } },
      schema: {
        tags: ['intermediaries'],
        summary: 'Link a practitioner to an intermediary (or update the link)',
        description:
          'A department supervising the agency’s industry links a person with their qualifications; `responsible` marks the persons named on records of the agency’s serious dishonesty (e.g. a false declaration). The same link again answers 200.',
        params: byUscc,
        body: practitionerLinkSchema,
        response: { 201: practitionerSchema, 200: practitionerSchema },
      },
    },
    async (request, reply) => {
      const { uscc } = request.params;
      const agency = await registeredAgency(app, uscc);
      const department = await supervisingDepartment(app, request, agency.industry);
      const body = request.body;
      const { created, view } = await intermediaries.linkPractitioner(
        agency,
        uscc,
        body.person,
        { qualifications: body.qualifications, responsible: body.responsible },
        department.code,
        app.clock(),
      );
      reply.code(created ? 201 : 200);
      if (created) reply.header('location', `/v1/intermediaries/${uscc}`);
      return view;
    },
  );
}
