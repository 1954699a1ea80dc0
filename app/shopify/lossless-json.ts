// JSON.parse rounds integers above 2^53, and Shopify's numeric ids (order_id, product_id, ...)
// exceed it. Rather than a hand-written parser, one regex pass quotes the long integer literals
// and the native parser does the rest, so a 15 KB webhook body stays a sub-millisecond parse.

// 16 digits is the first length that can exceed Number.MAX_SAFE_INTEGER (9007199254740991).
const LONG_DIGIT_RUN = /\d{16}/;

// A JSON string (unrolled loop: no nested quantifiers, so no catastrophic backtracking on an
// unterminated string) or a number-like run. Strings are matched so that digits inside them
// are consumed as part of the string and never rewritten.
const TOKEN = /"[^"\\]*(?:\\[\s\S][^"\\]*)*"|-?\d[\d.eE+-]*/g;

// Exactly JSON's grammar for an integer: no leading zero, no fraction, no exponent.
const LONG_INTEGER = /^-?[1-9]\d{15,}$/;

// A value is always followed by a comma, a closing bracket or the end of the text. Anything
// else (notably a colon: a number used as a key) is malformed JSON that quoting would repair,
// so such a number is left alone for JSON.parse to reject.
const VALUE_END = /\s*(?:[,\]}]|$)/y;

function quoteLongInteger(token: string, offset: number, text: string): string {
  if (token.charCodeAt(0) === 34 /* " */ || !LONG_INTEGER.test(token)) return token;
  VALUE_END.lastIndex = offset + token.length;
  return VALUE_END.test(text) ? `"${token}"` : token;
}

/**
 * Like JSON.parse, but integer literals of 16 or more digits become strings holding the exact
 * digits. Decimals, exponents and everything inside strings are untouched.
 * Throws SyntaxError on malformed JSON.
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text.replace(TOKEN, quoteLongInteger));
}

// A key that names an id (`id`, `order_id`, `product_id`, ...) followed by a long integer. In valid JSON a
// `"…": <digits>` can only stand outside a string (inside one, the quote before the colon would end it),
// so a plain substitution, with no callback per token, keeps those ids exact.
const LONG_ID_MEMBER = /"(\w*id)"\s*:\s*(-?[1-9]\d{15,})(?=\s*[,}\]])/g;

/**
 * The fast path for order and fulfillment bodies: the long integers that are ids (the only ones the app reads)
 * become exact strings; a long integer under another key or in an array is parsed as JSON.parse does.
 * parseJsonLossless stays the general tool (compliance payloads carry arrays of ids).
 */
export function parseJsonWithExactIds(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text.replace(LONG_ID_MEMBER, '"$1":"$2"'));
}
