import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, type Font } from 'fontkit';

/**
 * Noto Sans Hans (the GB 2312 cut of Noto Sans CJK SC, SIL Open Font Licence) from the
 * @embedpdf/fonts-sc package, so `npm ci` brings it everywhere and no system font is assumed.
 * Each face is parsed once per process and shared by every document: fontkit then keeps the
 * glyphs and layouts it has worked out, which makes later reports much faster than the first.
 */
export interface ReportFonts {
  regular: Font;
  medium: Font;
}

let loaded: ReportFonts | undefined;

function fontDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  return join(dirname(entry), '..', 'fonts');
}

type Layout = ReturnType<Font['layout']>;
const layoutCacheSize = 50_000;

/**
 * The face with its shaping remembered across documents. pdfkit caches layouts per document
 * only, so every report would shape the same words (field names, dates, authorities) again;
 * here each text is shaped once per process. pdfkit scales a layout's positions in place by
 * 1000 / unitsPerEm, which leaves them as they are in a face of 1000 units per em (the Noto
 * faces): only such a face shares its layouts, any other is used as it is.
 */
function withSharedLayouts(font: Font): Font {
  if (font.unitsPerEm !== 1000) return font;
  const cache = new Map<string, Layout>();
  const layout = (text: string, features?: string[]): Layout => {
    if (features !== undefined) return font.layout(text, features);
    let known = cache.get(text);
    if (!known) {
      const run = font.layout(text);
      // A plain object: the glyph run's advanceWidth is a getter summing positions each time.
      known = { glyphs: run.glyphs, positions: run.positions, advanceWidth: run.advanceWidth } as Layout;
      if (cache.size >= layoutCacheSize) cache.clear();
      cache.set(text, known);
    }
    return known;
  };
  const createSubset = () => withSharedSubrs(font.createSubset());
  return new Proxy(font, {
    get(target, property) {
      if (property === 'layout') return layout;
      if (property === 'createSubset') return createSubset;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A subroutine that only returns: what a subset writes in place of each subroutine it does not use. */
const unusedSubr = new Uint8Array([11]);

interface CffSubset {
  cff?: { stream: { pos: number; readBuffer(length: number): Uint8Array } };
  subsetSubrs?: (subrs: { offset: number; length: number }[], used: Record<number, boolean>) => Uint8Array[];
}

/**
 * A subset whose subroutine tables cost less to build. A CFF subset keeps each table's length
 * (charstrings call subroutines by index) and writes every subroutine it does not use as a bare
 * return: for these faces that is some 22,000 local and 600 global subroutines per face and
 * document, each a new array, read again from the font for the few it does use. Here the bare
 * return is one shared array (the encoder only copies it) and a used subroutine's bytes are read
 * once per process; the subset written is byte for byte the same.
 */
function withSharedSubrs<T>(subset: T): T {
  const cff = (subset as CffSubset).cff;
  if (!cff || typeof (subset as CffSubset).subsetSubrs !== 'function') return subset;
  (subset as CffSubset).subsetSubrs = (subrs, used) => {
    let read = subrBytes.get(subrs);
    if (!read) {
      read = [];
      subrBytes.set(subrs, read);
    }
    const result: Uint8Array[] = new Array(subrs.length);
    for (let i = 0; i < subrs.length; i++) {
      if (!used[i]) {
        result[i] = unusedSubr;
        continue;
      }
      let bytes = read[i];
      if (!bytes) {
        const subr = subrs[i] as { offset: number; length: number };
        cff.stream.pos = subr.offset;
        bytes = cff.stream.readBuffer(subr.length);
        read[i] = bytes;
      }
      result[i] = bytes;
    }
    return result;
  };
  return subset;
}

/** Each subroutine table's bytes as read so far, by table (the face's own arrays, kept for the process). */
const subrBytes = new WeakMap<object, Uint8Array[]>();

function face(file: string): Font {
  const font = create(readFileSync(join(fontDirectory(), file)));
  if (!('layout' in font)) throw new Error(`${file} is a font collection, not one face`);
  return withSharedLayouts(font);
}

export function reportFonts(): ReportFonts {
  loaded ??= { regular: face('NotoSansHans-Regular.otf'), medium: face('NotoSansHans-Medium.otf') };
  return loaded;
}
