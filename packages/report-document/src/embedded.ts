import { attachmentName } from './render.ts';

export interface ReportPdfContents {
  /** The attached signed report's text, as the platform issued it (null when none is attached). */
  signedJson: string | null;
  /** Each page's text, in reading order. */
  pages: string[];
}

/** Reads what a report PDF carries: its attached signed JSON and the text of its pages. */
export async function readReportPdf(pdf: Uint8Array): Promise<ReportPdfContents> {
  // Loaded here, not with the package: pdf.js's Node build bundles core-js, which on Node 20
  // replaces Array.prototype.push, JSON.parse and JSON.stringify with slower JavaScript for the
  // whole process. The server renders reports and never reads one; only a reader (the
  // verify-report command, the tests' PDF worker) pays for it, in its own short-lived process.
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js may detach the buffer it is given; it gets a copy.
  const document = await getDocument({
    data: new Uint8Array(pdf),
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0,
  }).promise;
  try {
    const attachments = ((await document.getAttachments()) ?? {}) as Record<
      string,
      { filename: string; content: Uint8Array }
    >;
    const attached = Object.values(attachments).find((a) => a.filename === attachmentName);
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const content = await (await document.getPage(number)).getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''),
      );
    }
    return {
      signedJson: attached ? new TextDecoder('utf-8', { fatal: false }).decode(attached.content) : null,
      pages,
    };
  } finally {
    await document.destroy();
  }
}
