/**
 * Parses a filings file `{"filings": [ … ]}` one record at a time (issue 12). `JSON.parse` of the
 * whole file first makes it one string: two bytes a character once any name is Chinese, about
 * 100 MB for 100,000 filings. That string is garbage as soon as the parse ends, but V8 frees so
 * large an object only at a full collection, which a start rarely reaches, so the process kept it.
 * Here each record's bytes are decoded and parsed alone, and the file stays a Buffer.
 *
 * Only the record boundaries are found by hand: quotes (with their escapes) and bracket depth,
 * outside strings. Every record is still parsed by `JSON.parse`, and anything unexpected (another
 * top-level key, a byte order mark, a record `JSON.parse` rejects) gives `false`, so the caller
 * parses the whole text and reports `JSON.parse`'s own message.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const KEY = Buffer.from('"filings"');

function skipSpace(bytes: Buffer, at: number): number {
  let i = at;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** The index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(bytes: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    // Escaped when an odd number of backslashes come before it.
    let slashes = 0;
    while (bytes[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** The end (exclusive) of the value starting at `start`: the comma or closing bracket after it at depth 0, or -1. */
function valueEnd(bytes: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      i = closingQuote(bytes, i);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return i;
      depth--;
    } else if (c === COMMA && depth === 0) return i;
  }
  return -1;
}

/**
 * Gives `each` the records of a `{"filings": [ … ]}` file in order, each parsed on its own as it is
 * reached (so it can be checked while it is young); false when the bytes are not exactly that shape
 * or a record is not valid JSON: then what `each` got must be dropped and the whole text parsed.
 */
export function splitFilingsFile(bytes: Buffer, each: (record: unknown) => void): boolean {
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) return false;
  i = skipSpace(bytes, i + 1);
  if (!bytes.subarray(i, i + KEY.length).equals(KEY)) return false;
  i = skipSpace(bytes, i + KEY.length);
  if (bytes[i] !== COLON) return false;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] !== OPEN_BRACKET) return false;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === CLOSE_BRACKET) i++;
  else {
    for (;;) {
      const start = i;
      const end = valueEnd(bytes, start);
      if (end < 0) return false;
      let record: unknown;
      try {
        record = JSON.parse(bytes.toString('utf8', start, end));
      } catch {
        return false;
      }
      each(record);
      i = end + 1;
      if (bytes[end] === CLOSE_BRACKET) break;
      if (bytes[end] !== COMMA) return false;
    }
  }
  i = skipSpace(bytes, i);
  if (bytes[i] !== CLOSE_BRACE) return false;
  return skipSpace(bytes, i + 1) === bytes.length;
}
