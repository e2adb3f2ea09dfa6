/**
 * Identifiers arrive typed by hand, pasted from spreadsheets or entered with a Chinese input
 * method, so full-width digits and letters (０-９, Ａ-Ｚ) and stray spaces are common. NFKC folds
 * full-width forms to ASCII; the result is trimmed and upper-cased before any check.
 */
export function normaliseIdentifier(raw: string): string {
  return raw.normalize('NFKC').trim().toUpperCase();
}
