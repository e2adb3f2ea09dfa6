import { parentPort } from 'node:worker_threads';
import type { ReportDocumentInput } from './render.ts';
import { renderReportPdf } from './render.ts';
import { warmUpInput } from './warm-up.ts';

/** What the pool sends a render thread, and what the thread answers. */
export type ToRenderThread = { kind: 'render'; id: number; input: ReportDocumentInput } | { kind: 'close' };
export type FromRenderThread =
  | { kind: 'ready' }
  | { kind: 'rendered'; id: number; pdf: Uint8Array }
  | { kind: 'failed'; id: number; error: { name: string; message: string; stack?: string | undefined } };

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread of the report render pool');

// Fonts parsed and the recurring words shaped before the first real report: a cold render
// costs seconds, a warm one milliseconds (bench/RESULTS.md).
await renderReportPdf(warmUpInput());
port.postMessage({ kind: 'ready' } satisfies FromRenderThread);

port.on('message', async (message: ToRenderThread) => {
  if (message.kind === 'close') {
    port.close();
    return;
  }
  try {
    const pdf = await renderReportPdf(message.input);
    const bytes = new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
    port.postMessage({ kind: 'rendered', id: message.id, pdf: bytes } satisfies FromRenderThread, [
      bytes.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    const { name, message: text, stack } = error as Error;
    port.postMessage({
      kind: 'failed',
      id: message.id,
      error: { name, message: text, stack },
    } satisfies FromRenderThread);
  }
});
