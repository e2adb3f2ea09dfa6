/**
 * `npm run bench:report-pdf`: renders a 500-item report PDF in this process, as a render thread
 * does (warmed up first), and prints the median and p90 of the render alone; with
 * BENCH_BASELINE=<another checkout> its renderer runs interleaved beside this tree's. The HTTP figure of
 * issue #19 (bench/search.ts) adds reading, signing and transfer to it; this one isolates the
 * document, so a change to rendering can be judged in a minute instead of the full run.
 */
import { type CreditReport, catalogueEntries, catalogueVersion, type ReportItem } from '@credit/schema';
import { type ReportDocumentInput, renderReportPdf } from '../packages/report-document/src/render.ts';
import { warmUpInput } from '../packages/report-document/src/warm-up.ts';

const itemCount = Number(process.env.BENCH_REPORT_ITEMS ?? 500);
const renders = Number(process.env.BENCH_RENDERS ?? 40);

function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A report shaped like the bench world's 500-record subject: catalogue samples on weekly dates. */
function benchReport(seed: number): CreditReport {
  const random = seeded(seed);
  const entries = catalogueEntries.filter((entry) => entry.subjectKinds.includes('legal_person'));
  const now = Date.UTC(2026, 11, 1);
  const items: ReportItem[] = [];
  for (let n = 0; n < itemCount; n++) {
    const entry = entries[Math.floor(random() * entries.length)] as (typeof entries)[number];
    const occurredAt = new Date(now - 7 * (1 + Math.floor(random() * 100)) * 86_400_000).toISOString();
    items.push({
      recordId: `rec_${seed.toString(36)}${n.toString(36).padStart(6, '0')}`,
      version: 1,
      category: entry.code,
      categoryName: entry.zh,
      class: entry.classCode,
      provider: 'bench-provider',
      occurredAt: occurredAt.slice(0, 10),
      receivedAt: occurredAt,
      severity: null,
      publicity: entry.publicity,
      displayUntil: new Date(now + 365 * 86_400_000).toISOString(),
      status: 'active',
      disputed: false,
      data: entry.sample,
      redacted: [],
      relatedPersons: [],
      linkedFrom: null,
      hash: '',
      marks: { withdrawn: false, expired: false, disputed: false, withheld: false, repaired: n % 50 === 0 },
    });
  }
  return {
    reportId: `rpt_bench${seed}`,
    issuer: '公共信用信息平台',
    generatedAt: new Date(now).toISOString(),
    audience: 'self',
    requester: { role: 'subject', org: null },
    purpose: null,
    authorisationId: null,
    subject: { kind: 'legal_person', id: '91370303MA3C0000X1', name: '淄博基准第0号有限公司' },
    catalogueVersion,
    items,
    grades: { current: [], history: [] },
  };
}

/** The render input of bench report `seed`, signed JSON and all. */
export function benchInput(seed: number): ReportDocumentInput {
  const report = benchReport(seed);
  return {
    report,
    signedJson: JSON.stringify({ report, signature: 'x'.repeat(200) }),
    digest: seed.toString(16).padStart(64, '0'),
    verificationUrl: `https://credit.example/v1/reports/${report.reportId}/verification?code=ABCD1234`,
  };
}

type Render = (input: ReportDocumentInput) => Promise<Buffer>;

function quantiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(1);
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms`;
}

/**
 * Renders each bench report with every renderer in turn (the order alternating), so a busy
 * machine slows them alike: CPU time is the figure to compare on a shared machine, wall time
 * what a caller waits.
 */
async function run(): Promise<void> {
  const renderers: [string, Render][] = [['this tree', renderReportPdf]];
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) {
    const other = (await import(`${baseline}/packages/report-document/src/render.ts`)) as {
      renderReportPdf: Render;
    };
    renderers.push([baseline, other.renderReportPdf]);
  }
  for (const [, render] of renderers) await render(warmUpInput());
  const figures = new Map(
    renderers.map(([name]) => [name, { wall: [] as number[], cpu: [] as number[], bytes: 0 }]),
  );
  for (let r = 0; r < renders; r++) {
    const input = benchInput(r % 4);
    for (const [name, render] of r % 2 === 0 ? renderers : [...renderers].reverse()) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const pdf = await render(input);
      const used = process.cpuUsage(cpuStarted);
      const figure = figures.get(name) as { wall: number[]; cpu: number[]; bytes: number };
      // The first renders of each still warm the JIT and the shared layouts.
      if (r >= 3) {
        figure.wall.push(performance.now() - started);
        figure.cpu.push((used.user + used.system) / 1000);
      }
      figure.bytes = pdf.byteLength;
    }
  }
  for (const [name, figure] of figures)
    process.stdout.write(
      `${name}: ${itemCount} items, ${renders} renders, ${(figure.bytes / 1024).toFixed(0)} KiB: CPU ${quantiles(figure.cpu)}; wall ${quantiles(figure.wall)}\n`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
