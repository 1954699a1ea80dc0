// Money is worked in integer cents taken straight from the decimal text, so "1.005" rounds to
// 1.01 and sums never drift the way 0.1 + 0.2 does in floating point.

export type MoneyValue = string | number | null | undefined;

/** The shape of a Shopify `*_set`, loose enough for any payload that carries one. */
export interface MoneySetLike {
  shop_money?: { amount?: MoneyValue; currency_code?: string | null } | null;
  presentment_money?: { amount?: MoneyValue; currency_code?: string | null } | null;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Integer cents of a decimal, rounded half away from zero ("1.005" -> 101, "-1.005" -> -101).
 * Null, blank and unreadable values are 0: a receipt with a zero line beats no receipt.
 */
export function toCents(value: MoneyValue): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number" && !Number.isFinite(value)) return 0;
  // String(number) is the shortest text that reads back as that number, so 1.005 stays "1.005".
  const match = DECIMAL.exec(String(value).trim());
  if (!match) return 0;
  const [, sign, whole = "", fraction = "", exponentText] = match;
  if (whole === "" && fraction === "") return 0;

  const exponent = exponentText ? Number(exponentText) : 0;
  // Bounds the padding below: no real amount needs an exponent this large.
  if (Math.abs(exponent) > 100) return 0;

  let digits = whole + fraction;
  // Where the decimal point sits in `digits`, after applying the exponent ("1.5e2" -> 150).
  let point = whole.length + exponent;
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  digits = digits.padEnd(point + 3, "0");
  const centsText = digits.slice(0, point + 2) || "0";
  const roundUp = digits.charCodeAt(point + 2) >= 53; /* "5" */
  const cents = Number(centsText) + (roundUp ? 1 : 0);
  if (!Number.isFinite(cents)) return 0;
  return sign === "-" && cents !== 0 ? -cents : cents;
}

function fromCents(cents: number): number {
  // Dividing an integer by 100 gives the double nearest the 2-decimal value, same as parsing it.
  return cents / 100;
}

/** A Shopify money value as a number with at most 2 decimals. */
export function parseMoney(value: MoneyValue): number {
  return fromCents(toCents(value));
}

/**
 * The amount in the currency the buyer paid: the set's presentment amount when the set has one,
 * else the plain field (which is in shop currency, the only amount there is then).
 */
export function presentmentAmount(set: MoneySetLike | null | undefined, plain?: MoneyValue): number {
  const presented = set?.presentment_money?.amount;
  return parseMoney(presented !== null && presented !== undefined ? presented : plain);
}

/** The exact sum of money values, as a number with at most 2 decimals. */
export function sumMoney(...values: MoneyValue[]): number {
  return fromCents(values.reduce<number>((total, value) => total + toCents(value), 0));
}
