import {
  type CreditReport,
  catalogueClasses,
  catalogueEntries,
  type ReportItem,
  severityNames,
} from '@credit/schema';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { verificationCode } from './digest.ts';
import { reportFonts } from './fonts.ts';
import {
  authorityFields,
  fieldLabel,
  formatValue,
  inCatalogueOrder,
  shanghaiDate,
  shanghaiTime,
} from './labels.ts';
import { deflateStreamsAt } from './stream-compression.ts';
import { subjectLabel } from './subject-label.ts';

export interface ReportDocumentInput {
  report: CreditReport;
  /** The signed report exactly as `GET /v1/subjects/{id}/report` answers it: `{"report":…,"signature":…}`. */
  signedJson: string;
  /** SHA-256 (hex) of the report's canonical JSON. */
  digest: string;
  /** Where the QR code leads: the public verification of this report, its code included. */
  verificationUrl: string;
}

/** The name of the signed JSON attached to every report PDF. */
export const attachmentName = 'credit-report.json';

const page = { width: 595.28, height: 841.89 };
const margin = { left: 50, right: 50, top: 72, bottom: 100 };
const contentWidth = page.width - margin.left - margin.right;
const qrSize = 62;
/** zlib level of the PDF's streams (stream-compression.ts says why not the default). */
const streamCompressionLevel = 3;
const ink = '#1a1a1a';
const muted = '#555555';
const accent = '#a4262c';

const audienceNames: Record<CreditReport['audience'], string> = {
  self: '本人查询',
  agency: '信用服务机构授权查询',
  government: '政府部门依职责查询',
  public: '公示信息（社会公众查询）',
};
const requesterNames: Record<string, string> = {
  subject: '信息主体本人',
  agency: '信用服务机构',
  government: '政府部门',
  admin: '信用主管部门',
  public: '社会公众',
};
const purposeNames: Record<string, string> = {
  loan: '贷款',
  lease: '租赁',
  employment: '招聘录用',
  tender: '招标投标',
  cooperation: '商务合作',
  other: '其他',
};
const roleNames: Record<string, string> = {
  legal_representative: '法定代表人',
  principal: '主要负责人',
  directly_responsible: '直接责任人员',
};
const kindIdName: Record<CreditReport['subject']['kind'], string> = {
  natural_person: '身份证号码',
  legal_person: '统一社会信用代码',
  non_enterprise_legal_person: '统一社会信用代码',
  unincorporated_org: '统一社会信用代码',
};
const chineseNumerals = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** The catalogue classes a subject of this kind can have records in, in the catalogue's order. */
function classesFor(kind: CreditReport['subject']['kind']) {
  const present = new Set(
    catalogueEntries.filter((entry) => entry.subjectKinds.includes(kind)).map((entry) => entry.classCode),
  );
  return catalogueClasses.filter((c) => present.has(c.code));
}

/** The marks a reader of the item needs: withdrawn, expired, under objection, withheld, repaired. */
export function itemMarks(item: ReportItem): string[] {
  const marks: string[] = [];
  if (item.status === 'withdrawn' || item.marks?.withdrawn) marks.push('已撤销');
  if (item.marks?.expired) marks.push('已过展示期');
  if (item.disputed || item.marks?.disputed) marks.push('异议处理中');
  if (item.marks?.withheld) marks.push('异议成立·暂停展示');
  if (item.marks?.repaired) marks.push('已信用修复');
  return marks;
}

/** A length as pdfkit writes it into a content stream (six decimals at most). */
const pdfNumber = (n: number) => String(Math.round(n * 1e6) / 1e6);

/**
 * The QR code as the content-stream path pdfkit's `rect` calls would write, dark modules merged
 * into horizontal runs: built once per document and repeated on every page, rather than written
 * module by module on each page.
 */
function qrPath(url: string, x: number, y: number): string {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const cell = qrSize / modules.size;
  const runs: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    let start = -1;
    for (let col = 0; col <= modules.size; col++) {
      const dark = col < modules.size && modules.get(row, col) === 1;
      if (dark && start < 0) start = col;
      if (!dark && start >= 0) {
        const length = col - start;
        runs.push(
          `${pdfNumber(x + start * cell)} ${pdfNumber(y + row * cell)} ${pdfNumber(length * cell + 0.05)} ${pdfNumber(cell + 0.05)} re`,
        );
        start = -1;
      }
    }
  }
  return runs.join('\n');
}

/**
 * The credit report as a PDF a clerk reads: A4, Chinese, sections as the catalogue's classes,
 * every item with its dates, authority, display period and marks; on every page the report
 * number, issue time and the subject as the public may see it, page numbers, the verification
 * code and a QR code to the public verification. The signed JSON is attached, so the document
 * can be checked offline against the platform's published keys (npm run verify-report).
 */
export async function renderReportPdf(input: ReportDocumentInput): Promise<Buffer> {
  const { report, digest } = input;
  const fonts = reportFonts();
  const code = verificationCode(digest);
  const doc = new PDFDocument({
    size: 'A4',
    bufferPages: true,
    margins: margin,
    info: {
      Title: `公共信用信息报告 ${report.reportId}`,
      Author: report.issuer,
      Subject: '公共信用信息报告',
      CreationDate: new Date(report.generatedAt),
    },
    lang: 'zh-CN',
    displayTitle: true,
    // The first page is added once the streams' compression is set, so it is compressed the same way.
    autoFirstPage: false,
  });
  deflateStreamsAt(doc, streamCompressionLevel);
  doc.addPage();
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // pdfkit takes a parsed fontkit face as well as a file (it checks for `layout`); its types
  // only list files, and passing the shared face is what keeps fonts parsed once per process.
  doc.registerFont('regular', fonts.regular as unknown as Buffer);
  doc.registerFont('medium', fonts.medium as unknown as Buffer);
  doc.file(Buffer.from(input.signedJson, 'utf8'), {
    name: attachmentName,
    type: 'application/json',
    description: '已签名的信用报告（JSON，ES256 分离式 JWS），可用平台公布的公钥离线核验',
    creationDate: new Date(report.generatedAt),
  });

  writeCover(doc, report, digest, code);
  writeSections(doc, report);
  writeGrades(doc, report);
  writeClosing(doc);
  writePageFurniture(doc, report, code, input.verificationUrl);
  doc.end();
  return finished;
}

function heading(doc: PDFKit.PDFDocument, text: string, size: number) {
  doc.font('medium').fontSize(size).fillColor(ink).text(text, margin.left, doc.y, { width: contentWidth });
}

function writeCover(doc: PDFKit.PDFDocument, report: CreditReport, digest: string, code: string) {
  doc.font('medium').fontSize(20).fillColor(ink).text('公共信用信息报告', { align: 'center' });
  doc.moveDown(0.2);
  doc.font('regular').fontSize(10).fillColor(muted).text(audienceNames[report.audience], { align: 'center' });
  doc.moveDown(0.8);
  const rows: [string, string][] = [
    ['报告编号', report.reportId],
    ['出具时间', `${shanghaiTime(report.generatedAt)}（北京时间）`],
    ['信息主体', report.subject.name || '（未登记名称）'],
    [kindIdName[report.subject.kind], report.subject.id],
    [
      '查询方',
      [requesterNames[report.requester.role] ?? report.requester.role, report.requester.org]
        .filter(Boolean)
        .join(' '),
    ],
    ['查询目的', report.purpose ? (purposeNames[report.purpose] ?? report.purpose) : '—'],
    ['授权编号', report.authorisationId ?? '—'],
    ['目录版本', report.catalogueVersion],
    ['内容摘要', `SHA-256 ${digest}`],
    ['核验码', code],
  ];
  for (const [label, value] of rows) {
    const y = doc.y;
    doc.font('medium').fontSize(9.5).fillColor(muted).text(label, margin.left, y, { width: 90 });
    doc
      .font('regular')
      .fontSize(9.5)
      .fillColor(ink)
      .text(value, margin.left + 95, y, { width: contentWidth - 95 });
    doc.moveDown(0.25);
  }
  doc.moveDown(0.5);
  doc
    .moveTo(margin.left, doc.y)
    .lineTo(page.width - margin.right, doc.y)
    .lineWidth(0.6)
    .strokeColor('#999999')
    .stroke();
  doc.moveDown(0.6);
}

function writeSections(doc: PDFKit.PDFDocument, report: CreditReport) {
  const byClass = new Map<string, ReportItem[]>();
  for (const item of report.items) {
    const list = byClass.get(item.class) ?? [];
    list.push(item);
    byClass.set(item.class, list);
  }
  const known = classesFor(report.subject.kind);
  const extra = [...byClass.keys()]
    .filter((code) => !known.some((c) => c.code === code))
    .map((code) => ({ code, zh: code }));
  for (const [index, section] of [...known, ...extra].entries()) {
    const items = byClass.get(section.code) ?? [];
    doc.moveDown(0.4);
    heading(doc, `${chineseNumerals[index] ?? index + 1}、${section.zh}（${items.length} 条）`, 13);
    doc.moveDown(0.3);
    if (items.length === 0) {
      doc.font('regular').fontSize(9.5).fillColor(muted).text('暂无记录。', { width: contentWidth });
      continue;
    }
    for (const [n, item] of items.entries()) writeItem(doc, item, n + 1);
  }
}

function writeItem(doc: PDFKit.PDFDocument, item: ReportItem, n: number) {
  // Keep an item's title with its first lines rather than alone at the foot of a page.
  if (doc.y > page.height - margin.bottom - 60) doc.addPage();
  const marks = itemMarks(item);
  const severity = item.severity ? `（${severityNames[item.severity]}）` : '';
  doc
    .font('medium')
    .fontSize(10.5)
    .fillColor(ink)
    .text(`${n}. ${item.categoryName}${severity}`, margin.left, doc.y, {
      width: contentWidth,
      continued: marks.length > 0,
    });
  if (marks.length > 0) doc.fillColor(accent).text(`  【${marks.join('】【')}】`);
  const authorityField = authorityFields.find((field) => typeof item.data[field] === 'string');
  const authority = authorityField ? String(item.data[authorityField]) : item.provider;
  doc
    .font('regular')
    .fontSize(9)
    .fillColor(muted)
    .text(
      // Plain spaces between the parts: pdfkit shapes text word by word between spaces, and these
      // words recur on every item, so most of the line is shaped once per process.
      `发生日期 ${shanghaiDate(item.occurredAt)}  认定部门 ${authority}  提供单位 ${item.provider}  展示期限至 ${
        item.displayUntil ? shanghaiDate(item.displayUntil) : '有效期内'
      }  收录时间 ${shanghaiDate(item.receivedAt)}  记录编号 ${item.recordId}（第 ${item.version} 版）`,
      { width: contentWidth },
    );
  const details = inCatalogueOrder(item.category, Object.entries(item.data))
    .filter(([key]) => key !== authorityField)
    .map(([key, value]) => `${fieldLabel(item.category, key)}： ${formatValue(item.category, key, value)}`);
  for (const person of item.relatedPersons) {
    const who = [person.name, person.id].filter((part) => part.length > 0).join(' ');
    details.push(`${roleNames[person.role] ?? person.role}：${who || '（不予公开）'}`);
  }
  if (item.redacted.length > 0)
    details.push(
      `依信息主体同意范围未予提供：${item.redacted.map((k) => fieldLabel(item.category, k)).join('、')}`,
    );
  if (details.length > 0)
    doc.font('regular').fontSize(9).fillColor(ink).text(details.join('； '), { width: contentWidth });
  doc.moveDown(0.45);
}

function writeGrades(doc: PDFKit.PDFDocument, report: CreditReport) {
  const { current, history } = report.grades;
  if (current.length === 0 && history.length === 0) return;
  doc.moveDown(0.4);
  heading(doc, '信用评价等级', 13);
  doc.moveDown(0.3);
  const lines = current.map(
    (g) =>
      `${g.domain} ${g.year} 年度：${g.grade}（认定部门 ${g.department}，评定于 ${shanghaiDate(g.assignedAt)}）`,
  );
  if (lines.length === 0) lines.push('当前无有效的信用评价等级。');
  for (const change of history) {
    const verb = change.change === 'assigned' ? '评定' : '撤销';
    lines.push(
      `${shanghaiDate(change.at)} ${verb}：${change.domain} ${change.year} 年度 ${change.grade}（${change.department}）`,
    );
  }
  doc.font('regular').fontSize(9).fillColor(ink).text(lines.join('\n'), { width: contentWidth });
}

function writeClosing(doc: PDFKit.PDFDocument) {
  doc.moveDown(1);
  doc
    .font('regular')
    .fontSize(8.5)
    .fillColor(muted)
    .text(
      '说明：本报告由公共信用信息平台依查询方身份与授权出具，内容以报告所附已签名数据为准。收到本报告的单位可扫描页脚二维码，或凭报告编号与核验码在平台核验其真实性；亦可使用平台公布的公钥（/.well-known/jwks.json）离线核验所附签名数据。对报告内容有异议的，信息主体可向平台提出异议申请。',
      { width: contentWidth },
    );
}

function writePageFurniture(doc: PDFKit.PDFDocument, report: CreditReport, code: string, url: string) {
  const footY = page.height - 30 - qrSize;
  const qrX = page.width - margin.right - qrSize;
  const qr = qrPath(url, qrX, footY);
  const range = doc.bufferedPageRange();
  const headerLine = `报告编号 ${report.reportId}　出具时间 ${shanghaiTime(report.generatedAt)}　信息主体 ${subjectLabel(report.subject)}`;
  for (let index = range.start; index < range.start + range.count; index++) {
    doc.switchToPage(index);
    // Text in the margins must not move the page's cursor onto a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('regular')
      .fontSize(7.5)
      .fillColor(muted)
      .text(headerLine, margin.left, 36, { width: contentWidth, lineBreak: false, ellipsis: true });
    doc
      .moveTo(margin.left, 50)
      .lineTo(page.width - margin.right, 50)
      .lineWidth(0.4)
      .strokeColor('#bbbbbb')
      .stroke();
    doc.save().fillColor('#000000').addContent(qr).fill().restore();
    doc
      .font('medium')
      .fontSize(9)
      .fillColor(ink)
      .text(`核验码 ${code}`, margin.left, footY + 4, {
        width: contentWidth - qrSize - 10,
        lineBreak: false,
      });
    doc
      .font('regular')
      .fontSize(7.5)
      .fillColor(muted)
      .text('扫描右侧二维码或凭报告编号与核验码在公共信用信息平台核验本报告。', margin.left, footY + 20, {
        width: contentWidth - qrSize - 10,
        lineBreak: false,
      })
      .text(`第 ${index + 1} 页 共 ${range.count} 页`, margin.left, footY + 44, {
        width: contentWidth - qrSize - 10,
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}
