import { deflateSync } from 'node:zlib';

/** What of pdfkit's indirect object (PDFReference) this touches: its stream chunks, dictionary and flag. */
interface StreamObject {
  compress: boolean;
  buffer: Uint8Array[];
  data: Record<string, unknown>;
  finalize(): void;
}

/**
 * Has the document deflate its streams at `level` instead of zlib's default (6), the one pdfkit
 * always uses. A report's page contents repeat the same operators and glyph codes page after
 * page, which makes the default level's longer match search slow for little gain: level 3 takes
 * about a quarter of the time for some 10 % more bytes, and the fonts' subsets, which hardly
 * compress, come out the same size (bench/RESULTS.md). Each stream pdfkit would compress is
 * deflated here when pdfkit writes it, as pdfkit would, and marked FlateDecode the same way.
 */
export function deflateStreamsAt(doc: PDFKit.PDFDocument, level: number): void {
  const plainRef = doc.ref.bind(doc);
  doc.ref = ((data?: Record<string, unknown>) => {
    const object = plainRef(data ?? {}) as unknown as StreamObject;
    if (!object.compress) return object;
    object.compress = false;
    const finalize = object.finalize.bind(object);
    object.finalize = () => {
      if (Array.isArray(object.buffer) && object.buffer.length > 0) {
        object.buffer = [deflateSync(Buffer.concat(object.buffer), { level })];
        object.data.Filter = 'FlateDecode';
      }
      finalize();
    };
    return object;
  }) as unknown as typeof doc.ref;
}
