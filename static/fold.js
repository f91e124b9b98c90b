// Text as search compares it, in every script: "adebayo" finds "Adébáyọ̀". The same folding as
// server/record/folding.py (tests/record/test_folding.py runs both on one table): each character
// decomposed for compatibility (NFKD), its combining marks dropped, the rest case-folded.

// Marks: Unicode's general category M (Mn, Mc, Me), as the server drops them.
const MARK = /\p{M}/u;

const cache = new Map();

/** One character (code point) as search compares it. */
function foldChar(ch) {
  let out = cache.get(ch);
  if (out === undefined) {
    out = "";
    for (const c of ch.normalize("NFKD")) if (!MARK.test(c)) out += c;
    // JavaScript has no full case folding; lower-casing the upper-cased text folds ß to ss as
    // Python's casefold does, and the final sigma is folded to σ as casefold folds it.
    out = out.toUpperCase().toLowerCase().replace(/ς/g, "σ");
    if (cache.size < 4096) cache.set(ch, out);
  }
  return out;
}

/** The folded text and, for each of its UTF-16 units, the index in `text` it came from. */
export function foldWithOffsets(text) {
  let folded = "";
  const offsets = [];
  let i = 0;
  for (const ch of text) {
    const f = foldChar(ch);
    folded += f;
    for (let k = 0; k < f.length; k += 1) offsets.push(i);
    i += ch.length;
  }
  offsets.push(i);
  return { folded, offsets };
}

export function fold(text) {
  return foldWithOffsets(text.normalize("NFC")).folded;
}

/** Where the folded `needle` occurs in `text`: [start, end) ranges in `text` itself. */
export function findFolded(text, needle) {
  const want = fold(needle);
  if (!want) return [];
  const { folded, offsets } = foldWithOffsets(text);
  const out = [];
  let at = folded.indexOf(want);
  while (at >= 0) {
    const start = offsets[at];
    const end = offsets[at + want.length] ?? text.length;
    // A match that ends inside a character's folding ends after that character.
    out.push([start, Math.max(end, start + 1)]);
    at = folded.indexOf(want, at + want.length);
  }
  return out;
}
