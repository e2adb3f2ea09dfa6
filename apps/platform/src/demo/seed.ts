import type { DevIssuer } from '@credit/auth';
import { shanghaiDate, shanghaiYear } from '@credit/calendar';
import { catalogueEntries, findEntry, generateCitizenId, generateUscc, seededRandom } from '@credit/schema';
import type { FastifyInstance } from 'fastify';
import {
  categoriesOf,
  type DemoSubject,
  demoProviders,
  demoSubjects,
  historySubjects,
  providerOf,
  recentDate,
} from './demo-world.ts';
import { type DemoTimeMachine, replayListHistory } from './history.ts';

/** A ready-to-run call against the demo platform: printed for people, written as JSON for tests. */
export interface ExampleCall {
  title: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Where curl saves an answer that is not text (a PDF). */
  saveAs?: string;
}

export interface DemoSummary {
  subjects: number;
  records: number;
  refused: number;
  publishedEntries: number;
  pendingNotices: number;
  /** The court's black-list entries replayed from the past: the one in force and the one that ended. */
  history: { debtor: string | undefined; settled: string | undefined };
  examples: ExampleCall[];
}

const day = 86_400;

const demoRules = [
  {
    code: 'demo-court-debtors',
    name: '失信被执行人（法人）',
    kind: 'black',
    domain: 'courts',
    subjectKinds: ['legal_person', 'unincorporated_org'],
    identifyingDepartment: 'zb-court',
    condition: { type: 'records', match: { entries: ['dishonest_judgement_debtor'] }, minCount: 1 },
    validityMonths: 36,
    linkRelatedPersons: true,
  },
  {
    code: 'demo-serious-violations',
    name: '严重违法失信企业',
    kind: 'black',
    domain: 'general',
    subjectKinds: ['legal_person'],
    identifyingDepartment: 'zb-amr',
    condition: {
      type: 'records',
      match: { classes: ['dishonesty'], severities: ['serious'] },
      minCount: 1,
      withinMonths: 24,
    },
    linkRelatedPersons: true,
  },
  {
    code: 'demo-ecommerce-brushing',
    name: '电子商务领域严重失信（刷单炒信）',
    kind: 'black',
    domain: 'ecommerce',
    subjectKinds: ['legal_person', 'unincorporated_org', 'natural_person'],
    identifyingDepartment: 'zb-amr',
    condition: {
      type: 'records',
      match: { entries: ['ecommerce_fake_orders', 'ecommerce_counterfeit'], severities: ['serious'] },
      minCount: 1,
    },
  },
  {
    code: 'demo-penalties-watch',
    name: '重点关注：一年内多次行政处罚',
    kind: 'watch',
    domain: 'general',
    subjectKinds: ['legal_person'],
    identifyingDepartment: 'zb-amr',
    condition: {
      type: 'records',
      match: { entries: ['administrative_penalty', 'administrative_penalty_summary'] },
      minCount: 2,
      withinMonths: 12,
    },
  },
  {
    code: 'demo-honoured',
    name: '守信联合激励对象',
    kind: 'red',
    domain: 'general',
    subjectKinds: ['legal_person', 'natural_person'],
    identifyingDepartment: 'credit-office',
    condition: {
      type: 'all',
      conditions: [
        { type: 'records', match: { entries: ['honour_award'] }, minCount: 1, withinMonths: 36 },
        { type: 'absence', match: { classes: ['dishonesty', 'ecommerce_dishonesty'] }, withinMonths: 36 },
      ],
    },
  },
];

/**
 * Loads a realistic demo through the platform's own API (in process): departments, agencies, a
 * platform, list rules, the court's black-list procedure replayed from five months ago with the
 * clock set back (a published entry with its linked legal representative, and one that exited),
 * subjects with valid generated identifiers and records across every catalogue entry, red entries
 * decided, black and watch proposals noticed, an appraisal firm in the intermediaries' column, an
 * authorisation and an open objection. Source ids are fixed, so running it again adds nothing.
 */
export async function seedDemo(
  app: FastifyInstance,
  issuer: DevIssuer,
  time: DemoTimeMachine,
  subjectCount = 1000,
): Promise<DemoSummary> {
  const ttlSeconds = 30 * day;
  const token = (roles: Parameters<DevIssuer['sign']>[0]['roles'], org?: string, subjectId?: string) =>
    issuer.sign({ roles, ttlSeconds, ...(org ? { org } : {}), ...(subjectId ? { subjectId } : {}) });
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    bearer: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    if (response.statusCode >= 400)
      throw new Error(
        `demo: ${method} ${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`,
      );
    return response.json();
  };
  const drain = async () => {
    for (let pass = 0; pass < 5; pass++) {
      let applied = 0;
      for (const consumer of app.consumers.values()) applied += await consumer.drain(60_000);
      if (applied === 0) break;
    }
  };
  const present = app.clock();
  const admin = await token(['admin'], 'credit-office');
  const random = seededRandom(7);
  const agencyUscc = generateUscc(random, '91');

  // The registries and rules date from before the history the demo replays.
  time.travelTo(new Date(present.getTime() - 180 * day * 1000));
  try {
    await registerWorld(call, admin, agencyUscc);
  } finally {
    time.backToPresent();
  }
  const history = await replayListHistory({ call, token, drain }, time, present, historySubjects());
  const historyStatus = async (id: string | undefined) =>
    id ? ((await call('GET', `/v1/list-entries/${id}`, admin)) as { status: string }).status : undefined;
  const debtorStatus = await historyStatus(history.debtorEntryId);
  const settledStatus = await historyStatus(history.settledEntryId);

  const now = present;
  const subjects = demoSubjects(subjectCount);
  const batches = new Map<string, string[]>();
  subjects.forEach((subject, i) => {
    const applicable = catalogueEntries.filter((entry) => entry.subjectKinds.includes(subject.kind));
    for (let j = 0; j < 3; j++) {
      const entry = applicable[(i * 3 + j) % applicable.length];
      if (!entry) continue;
      let data = entry.sample;
      const referred = entry.refersTo ? findEntry(entry.refersTo.entry) : undefined;
      if (entry.refersTo && referred) {
        // A breach names a commitment of the same subject on file: push that one too.
        const referredSource = `DEMO-${referred.code}-${i}-${j}`;
        const lines = batches.get(providerOf(referred)) ?? [];
        lines.push(
          JSON.stringify({
            sourceId: referredSource,
            category: referred.code,
            subject,
            occurredAt: recentDate(random, now),
            data: referred.sample,
          }),
        );
        batches.set(providerOf(referred), lines);
        data = { ...entry.sample, [entry.refersTo.field]: referredSource };
      }
      const record: Record<string, unknown> = {
        sourceId: `DEMO-${entry.code}-${i}-${j}`,
        category: entry.code,
        subject,
        occurredAt: recentDate(random, now),
        data,
      };
      if (entry.allowsRelatedPersons && subject.kind !== 'natural_person' && i % 4 === 0) {
        record.relatedPersons = [
          { role: 'legal_representative', id: generateCitizenId(random, 1965, 1990), name: '李建国' },
        ];
      }
      const provider = providerOf(entry);
      const lines = batches.get(provider) ?? [];
      lines.push(JSON.stringify(record));
      batches.set(provider, lines);
    }
  });
  let records = 0;
  let refused = 0;
  // Records others refer to (commitments) go first, so the records naming them find them on file.
  const referredProviders = new Set(
    catalogueEntries.flatMap((entry) => {
      const referred = entry.refersTo ? findEntry(entry.refersTo.entry) : undefined;
      return referred ? [providerOf(referred)] : [];
    }),
  );
  const ordered = [...batches].sort(
    ([a], [b]) => Number(!referredProviders.has(a)) - Number(!referredProviders.has(b)),
  );
  for (const [provider, lines] of ordered) {
    const bearer = await token(['provider'], provider);
    for (let i = 0; i < lines.length; i += 1000) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/records/batch',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson' },
        payload: lines.slice(i, i + 1000).join('\n'),
      });
      const result = response.json() as { created: number; unchanged: number; refused: number };
      records += result.created + result.unchanged;
      refused += result.refused;
    }
  }
  await drain();
  const intermediary = await seedIntermediary(call, token, drain, now);

  const proposed = (await call('GET', '/v1/list-entries?status=proposed&limit=500', admin)).items as {
    id: string;
  }[];
  for (const entry of proposed) {
    await call('POST', `/v1/list-entries/${entry.id}/decision`, admin, {
      decision: 'publish',
      note: '演示数据：守信联合激励对象',
    });
  }
  const noticed = (await call('GET', '/v1/list-entries?status=noticed&limit=500', admin)).items as unknown[];

  const person = subjects.find((s) => s.kind === 'natural_person') as DemoSubject;
  const organisation = subjects.find((s) => s.kind === 'legal_person') as DemoSubject;
  const personToken = await token(['subject'], undefined, person.id);
  const organisationToken = await token(['subject'], undefined, organisation.id);
  const authorisation = await call('POST', '/v1/authorisations', personToken, {
    agency: agencyUscc,
    purpose: 'loan',
    expiresAt: new Date(now.getTime() + 90 * day * 1000).toISOString(),
  });
  const platformToken = await token(['platform'], 'demo-mall');
  // The platform's merchants include the listed debtor and the one that left the list.
  const merchants = [
    history.debtor,
    history.settled,
    ...subjects.filter((s) => s.kind === 'legal_person').slice(0, 18),
  ];
  await call('POST', '/v1/watches', platformToken, { subjects: merchants.map((m) => m.id) });

  const ownReport = await call('GET', `/v1/subjects/${organisation.id}/report`, organisationToken);
  const disputable = (ownReport.report.items as { recordId: string; status: string }[]).find(
    (item) => item.status === 'active',
  );
  if (disputable) {
    const open = await app.inject({
      method: 'POST',
      url: '/v1/objections',
      headers: { authorization: `Bearer ${organisationToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({
        target: { type: 'record', id: disputable.recordId },
        reason: '演示：该记录所载金额有误',
      }),
    });
    if (open.statusCode >= 400 && open.statusCode !== 409) throw new Error(`demo objection: ${open.body}`);
  }

  // Today's open-data files, cut once everything above has reached the read model: the job would
  // otherwise cut only when its timer first looks, and the open-data routes list no day until then.
  await drain();
  // Asked again while it runs: a cut still running after the wait is answered 202, and asking
  // again joins it.
  let openData: { state: string; day: string };
  do openData = await call('POST', '/v1/open-data/cuts', admin, undefined, { prefer: 'wait=60' });
  while (openData.state === 'running');
  if (openData.state !== 'cut')
    throw new Error(`demo: the open-data cut of ${openData.day} ${openData.state}`);
  const openDataDay = openData.day;

  const government = await token(['government'], 'zb-fgw');
  const agency = await token(['agency'], agencyUscc);
  const examples: ExampleCall[] = [
    { title: 'The collection catalogue (public)', method: 'GET', path: '/v1/catalogue', headers: {} },
    {
      title: 'Public disclosure of an organisation (双公示)',
      method: 'GET',
      path: `/v1/public/subjects/${organisation.id}`,
      headers: {},
    },
    {
      title: 'An organisation reads its own credit report',
      method: 'GET',
      path: `/v1/subjects/${organisation.id}/report`,
      headers: { authorization: `Bearer ${organisationToken}` },
    },
    {
      title: 'The same report as a PDF with its verification QR code (npm run verify-report -- report.pdf)',
      method: 'GET',
      path: `/v1/subjects/${organisation.id}/report`,
      headers: { authorization: `Bearer ${organisationToken}`, accept: 'application/pdf' },
      saveAs: 'report.pdf',
    },
    {
      title: 'Find an organisation by name, as a person types it: without its legal form (public)',
      method: 'GET',
      path: `/v1/public/search?q=${encodeURIComponent(organisation.name.replace(/(股份)?有限(责任)?公司$/, ''))}`,
      headers: {},
    },
    {
      title: 'A credit agency reads a person’s report with the person’s authorisation',
      method: 'GET',
      path: `/v1/subjects/${person.id}/report`,
      headers: { authorization: `Bearer ${agency}`, 'x-credit-authorisation': authorisation.token },
    },
    {
      title: 'The person reads who looked at their file',
      method: 'GET',
      path: `/v1/subjects/${person.id}/access-log`,
      headers: { authorization: `Bearer ${personToken}` },
    },
    {
      title: 'A government department queries within its remit',
      method: 'GET',
      path: `/v1/subjects/${organisation.id}/report?purpose=${encodeURIComponent('行政许可审查')}`,
      headers: { authorization: `Bearer ${government}` },
    },
    {
      title: 'A department checks a subject before a tender',
      method: 'POST',
      path: '/v1/checks',
      headers: { authorization: `Bearer ${government}`, 'content-type': 'application/json' },
      body: {
        subject: organisation.id,
        action: 'public_tender',
        purpose: '政府采购资格审查',
      },
    },
    {
      title:
        'A department checks a black-listed judgement debtor before a tender: deny (限制参加有关公共资源交易活动)',
      method: 'POST',
      path: '/v1/checks',
      headers: { authorization: `Bearer ${government}`, 'content-type': 'application/json' },
      body: {
        subject: history.debtor.id,
        action: 'public_tender',
        purpose: '政府采购资格审查',
      },
    },
    {
      title: 'Its legal representative, linked to the listing, may not be one elsewhere: deny',
      method: 'POST',
      path: '/v1/checks',
      headers: { authorization: `Bearer ${government}`, 'content-type': 'application/json' },
      body: {
        subject: history.representative.id,
        action: 'serve_as_legal_rep',
        purpose: '企业登记审查',
      },
    },
    ...(history.debtorEntryId
      ? [
          {
            title: 'The published black-list entry: notice, objection window, publication, measures',
            method: 'GET' as const,
            path: `/v1/list-entries/${history.debtorEntryId}`,
            headers: { authorization: `Bearer ${admin}` },
          },
        ]
      : []),
    ...(history.settledEntryId
      ? [
          {
            title: 'An exit: the entry ended when the court withdrew the record (the debt was paid)',
            method: 'GET' as const,
            path: `/v1/list-entries/${history.settledEntryId}`,
            headers: { authorization: `Bearer ${admin}` },
          },
        ]
      : []),
    {
      title: 'Public disclosure of the black-listed debtor',
      method: 'GET',
      path: `/v1/public/subjects/${history.debtor.id}`,
      headers: {},
    },
    {
      title: 'A platform checks its merchants (the first is black-listed)',
      method: 'POST',
      path: '/v1/listing-status',
      headers: { authorization: `Bearer ${platformToken}`, 'content-type': 'application/json' },
      body: { subjects: merchants.slice(0, 5).map((m) => m.id) },
    },
    {
      title: 'A platform screens merchants by name: a match, a USCC that contradicts its name, an unknown',
      method: 'POST',
      path: '/v1/screening',
      headers: { authorization: `Bearer ${platformToken}`, 'content-type': 'application/json' },
      body: {
        items: [
          { name: (merchants[0] as DemoSubject).name, ref: 'merchant-1' },
          {
            name: (merchants[1] as DemoSubject).name,
            id: (merchants[2] as DemoSubject).id,
            ref: 'merchant-2',
          },
          { name: '淄博演示不存在商贸有限公司', ref: 'merchant-3' },
        ],
        threshold: 0.8,
      },
    },
    {
      title: 'The organisation’s notices (objections, list notices)',
      method: 'GET',
      path: `/v1/subjects/${organisation.id}/notices`,
      headers: { authorization: `Bearer ${organisationToken}` },
    },
    {
      title: 'GraphQL: the organisation’s own records and list status',
      method: 'POST',
      path: '/graphql',
      headers: { authorization: `Bearer ${organisationToken}`, 'content-type': 'application/json' },
      body: {
        query:
          '{ me { kind name listStatus { red black watch } records(first: 5) { totalCount edges { node { category status } } } } }',
      },
    },
    {
      title: 'Open data: the days cut (public)',
      method: 'GET',
      path: '/v1/open-data/days',
      headers: {},
    },
    {
      title: 'Open data: a day’s signed manifest (file names, sizes, SHA-256, record counts)',
      method: 'GET',
      path: `/v1/open-data/days/${openDataDay}/manifest`,
      headers: {},
    },
    {
      title:
        'The intermediaries’ column (专栏公示): agencies by industry with their grades and published declarations (public)',
      method: 'GET',
      path: '/v1/public/intermediaries?industry=appraisal',
      headers: {},
    },
    {
      title:
        'One appraisal firm in the column: its accepted declaration, signed commitment and grade (public)',
      method: 'GET',
      path: `/v1/public/intermediaries/${intermediary.uscc}`,
      headers: {},
    },
    {
      title: 'Its supervising department’s review queue: declarations awaiting review, oldest first',
      method: 'GET',
      path: '/v1/declarations/awaiting-review',
      headers: { authorization: `Bearer ${intermediary.departmentToken}` },
    },
    {
      title: 'A department checks the AA-graded appraisal firm before government purchasing: priority',
      method: 'POST',
      path: '/v1/checks',
      headers: { authorization: `Bearer ${government}`, 'content-type': 'application/json' },
      body: {
        subject: intermediary.uscc,
        action: 'government_procurement',
        purpose: '政府购买服务资格审查',
      },
    },
    {
      title: 'Open objections the credit office follows',
      method: 'GET',
      path: '/v1/objections',
      headers: { authorization: `Bearer ${admin}` },
    },
  ];
  return {
    subjects: subjects.length,
    records,
    refused,
    publishedEntries: proposed.length + (debtorStatus === 'published' ? 1 : 0),
    pendingNotices: noticed.length,
    history: { debtor: debtorStatus, settled: settledStatus },
    examples,
  };
}

type DemoCall = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  bearer: string,
  body?: unknown,
) => Promise<unknown>;

/** The providers, departments, the credit agency and the list rules. */
async function registerWorld(call: DemoCall, admin: string, agencyUscc: string): Promise<void> {
  for (const provider of demoProviders) {
    await call('POST', '/v1/providers', admin, {
      code: provider.code,
      name: provider.name,
      categories: categoriesOf(provider.code),
    });
  }
  // The department supervising appraisal firms (seeds/003): it registers them, reviews their
  // declarations and evaluates them; a false declaration becomes a record under its code.
  await call('POST', '/v1/providers', admin, {
    code: intermediarySupervisor,
    name: '淄博市财政局',
    categories: ['intermediary_false_declaration'],
    industries: ['appraisal'],
  });
  const departments = [
    {
      code: 'zb-amr',
      name: '淄博市市场监督管理局',
      remit: ['org_basic', 'dishonesty', 'ecommerce_dishonesty', 'penalty_disclosure', 'good_credit'],
    },
    { code: 'zb-court', name: '淄博市中级人民法院', remit: ['dishonesty'] },
    {
      code: 'zb-hrss',
      name: '淄博市人力资源和社会保障局',
      remit: ['person_basic', 'dishonesty', 'good_credit'],
    },
    {
      code: 'zb-fgw',
      name: '淄博市发展和改革委员会',
      remit: [
        'org_basic',
        'person_basic',
        'dishonesty',
        'ecommerce_dishonesty',
        'good_credit',
        'penalty_disclosure',
      ],
    },
  ];
  for (const department of departments) await call('POST', '/v1/departments', admin, department);
  await call('POST', '/v1/agencies', admin, {
    uscc: agencyUscc,
    name: '淄博诚信征信服务有限公司',
    licenceNumber: 'ZXJG-3703-001',
    licenceValidUntil: '2030-12-31',
  });
  for (const rule of demoRules) await call('POST', '/v1/rules', admin, { definition: rule });
}

const intermediarySupervisor = 'zb-finance';

/**
 * An appraisal firm in the intermediaries' column (seeds/003 三、四): registered by its
 * supervising department with a responsible practitioner, its declaration accepted, and graded AA
 * for last year by the department. Declared only once: a reload finds the declaration there.
 */
async function seedIntermediary(
  call: DemoCall,
  token: (
    roles: Parameters<DevIssuer['sign']>[0]['roles'],
    org?: string,
    subjectId?: string,
  ) => Promise<string>,
  drain: () => Promise<void>,
  now: Date,
): Promise<{ uscc: string; departmentToken: string }> {
  const random = seededRandom(20_260_322);
  const agency = { id: generateUscc(random, '91'), name: '淄博正衡资产评估有限公司' };
  const department = await token(['provider'], intermediarySupervisor);
  const own = await token(['subject'], undefined, agency.id);
  await call('POST', '/v1/intermediaries', department, { subject: agency, industry: 'appraisal' });
  await call('POST', `/v1/intermediaries/${agency.id}/practitioners`, department, {
    person: { id: generateCitizenId(random, 1970, 1988), name: '孙正衡' },
    qualifications: [{ name: '资产评估师', number: 'ZCPG-3703-0021', issuedBy: '中国资产评估协会' }],
    responsible: true,
  });
  const declarations = `/v1/intermediaries/${agency.id}/declarations`;
  const held = (await call('GET', declarations, own)) as { items: unknown[] };
  if (held.items.length === 0) {
    const declared = (await call('POST', declarations, own, {
      content: {
        qualifications: [{ name: '资产评估资格证书', number: 'ZCPG-3703-017', issuedBy: '山东省财政厅' }],
        practice: { serviceScope: '资产评估、土地估价', practitionerCount: 9 },
        engagements: [
          {
            client: '淄博市国资委',
            project: '国有股权转让评估',
            service: '资产评估',
            completedOn: '2025-11-20',
          },
        ],
      },
      commitment: {
        accepted: ['truthful', 'lawful_practice', 'service_standards', 'liability', 'fair_valuation'],
        signatory: '孙正衡',
        signedOn: shanghaiDate(now),
      },
    })) as { id: string };
    await call('POST', `${declarations}/${declared.id}/review`, department, { decision: 'accept' });
  }
  // The sanctions service evaluates registered agencies only: let it follow the registration.
  await drain();
  const year = shanghaiYear(now) - 1;
  await call('POST', '/v1/industry-evaluations', department, {
    sourceId: `DEMO-EVAL-APPRAISAL-${year}`,
    subject: agency.id,
    industry: 'appraisal',
    grade: 'AA',
    period: { from: `${year}-01-01`, to: `${year}-12-31` },
    basis: `${year}年度资产评估机构信用评价：执业质量检查无问题，无投诉`,
  });
  return { uscc: agency.id, departmentToken: department };
}

/** The examples as curl commands for the console. */
export function curlLines(baseUrl: string, examples: ExampleCall[]): string {
  return examples
    .map((example) => {
      const headers = Object.entries(example.headers)
        .map(([name, value]) => ` -H '${name}: ${value}'`)
        .join('');
      const body = example.body === undefined ? '' : ` -d '${JSON.stringify(example.body)}'`;
      const save = example.saveAs ? ` -o ${example.saveAs}` : '';
      return `# ${example.title}\ncurl -s -X ${example.method} '${baseUrl}${example.path}'${headers}${body}${save}`;
    })
    .join('\n\n');
}
