import { Worker } from 'node:worker_threads';
import type { OfflineVerification, ReportDocumentInput, ReportPdfContents } from '@credit/report-document';
import type { JSONWebKeySet } from 'jose';

export type PdfTask =
  | { kind: 'read'; pdf: Uint8Array }
  | { kind: 'draw'; pdf: Uint8Array; page: number; scale: number }
  | { kind: 'verify'; pdf: Uint8Array; jwks: JSONWebKeySet }
  | { kind: 'render'; input: ReportDocumentInput };

/**
 * What a report's recipient does with the PDF (read its text and attachment, draw a page and
 * scan its QR code, verify it offline), in a worker thread: pdf.js takes seconds of CPU, which
 * on the test's own thread would stall the platform under test (under-pressure answers 503).
 */
export function pdfTools() {
  const worker = new Worker(new URL('./pdf-worker-boot.mjs', import.meta.url));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  worker.on('message', ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (error !== undefined) waiting?.reject(new Error(error));
    else waiting?.resolve(result);
  });
  worker.on('error', (error) => {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  });
  const run = (task: PdfTask) =>
    new Promise<unknown>((resolve, reject) => {
      next += 1;
      pending.set(next, { resolve, reject });
      worker.postMessage({ id: next, task });
    });
  return {
    read: (pdf: Uint8Array) => run({ kind: 'read', pdf }) as Promise<ReportPdfContents>,
    draw: (pdf: Uint8Array, page: number, scale: number) =>
      run({ kind: 'draw', pdf, page, scale }) as Promise<{ png: Uint8Array; qr: string | null }>,
    verify: (pdf: Uint8Array, jwks: JSONWebKeySet) =>
      run({ kind: 'verify', pdf, jwks }) as Promise<OfflineVerification>,
    render: async (input: ReportDocumentInput) =>
      Buffer.from((await run({ kind: 'render', input })) as Uint8Array),
    close: () => worker.terminate(),
  };
}
