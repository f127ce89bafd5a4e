/** What of a person's own input may be repeated back in a reply: only valid ids, and nothing invisible. */

// Every format character (\p{Cf}: bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width
// space/joiners, word joiner, BOM, tag characters) and every control but tab and newline. A U+202E
// echoed back can make the bot's own message read differently from what it says.
const INVISIBLE = /(?![\t\n])[\p{Cf}\p{Cc}]/gu;

// The filing id format (CONTRACT §1, FilingIdSchema in src/filing.ts).
const FILING_ID = /^[A-Za-z0-9_-]{4,40}$/;

/** The longest echo of something that is not a valid id, ellipsis included, in characters. */
export const ECHO_MAX = 40;

/** The text with bidirectional controls, zero-width and other invisible characters removed. */
export function echoable(text: string): string {
  return text.replace(INVISIBLE, '');
}

/**
 * What to repeat back for a typed filing id: the id itself when it has the id format, otherwise
 * the cleaned input cut to ECHO_MAX characters (code points, so no emoji is split) with an ellipsis.
 */
export function echoId(input: string): string {
  const clean = echoable(input)
    .replace(/[\t\n\u2028\u2029]+/g, ' ')
    .trim();
  if (FILING_ID.test(clean)) return clean;
  const chars = Array.from(clean);
  return chars.length <= ECHO_MAX ? clean : `${chars.slice(0, ECHO_MAX - 1).join('')}…`;
}
