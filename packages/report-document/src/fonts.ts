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
  return new Proxy(font, {
    get(target, property) {
      if (property === 'layout') return layout;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function face(file: string): Font {
  const font = create(readFileSync(join(fontDirectory(), file)));
  if (!('layout' in font)) throw new Error(`${file} is a font collection, not one face`);
  return withSharedLayouts(font);
}

export function reportFonts(): ReportFonts {
  loaded ??= { regular: face('NotoSansHans-Regular.otf'), medium: face('NotoSansHans-Medium.otf') };
  return loaded;
}
