import { parentPort } from 'node:worker_threads';
import { readReportPdf, renderReportPdf, verifyReportPdf } from '@credit/report-document';
import { createCanvas } from '@napi-rs/canvas';
import jsQR from 'jsqr';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PdfTask } from './pdf-tools.ts';

/** A PDF page drawn as pdf.js draws it, onto a Skia canvas (no browser, no system tools). */
async function drawPage(pdf: Uint8Array, pageNumber: number, scale: number) {
  const document = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false, verbosity: 0 })
    .promise;
  try {
    const page = await document.getPage(pageNumber);
    const viewport = page.getViewport({ scale });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext('2d');
    // pdf.js types its own DOM canvas; the Skia canvas implements what it draws with.
    await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    return {
      png: canvas.toBuffer('image/png'),
      qr: jsQR(pixels, canvas.width, canvas.height)?.data ?? null,
    };
  } finally {
    await document.destroy();
  }
}

async function run(task: PdfTask): Promise<unknown> {
  switch (task.kind) {
    case 'read':
      return readReportPdf(task.pdf);
    case 'draw':
      return drawPage(task.pdf, task.page, task.scale);
    case 'verify':
      return verifyReportPdf(task.pdf, task.jwks);
    case 'render':
      return renderReportPdf(task.input);
  }
}

parentPort?.on('message', async ({ id, task }: { id: number; task: PdfTask }) => {
  try {
    parentPort?.postMessage({ id, result: await run(task) });
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).stack ?? String(error) });
  }
});
