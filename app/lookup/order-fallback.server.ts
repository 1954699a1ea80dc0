import type { Sql } from "../db/database.server";
import { log } from "../logger.server";
import { accountKeyOf, emailKeyOf, orderNameKey, phoneKeyOf } from "../pushes/lookup-receipt";
import { extractOrderFacts } from "../pushes/order-facts";
import { PAID_FINANCIAL_STATUSES } from "../pushes/plan";
import { CUSTOMERS_BY_CONTACT, ORDER_LOOKUP, type AdminGraphql, type LookedUpOrder, type UnknownReason } from "../shopify/admin-api/index.server";
import { OrderPayloadSchema } from "../shopify/payloads";
import { recordLookupOrder } from "./order-intake.server";

// Orders from before the app was installed (decision 024): when an order lookup finds nothing locally, the Admin API
// is asked, within what is left of the lookup's time, for the orders that match. Those found are recorded in
// lookup_order exactly as an order webhook would record them (the push mapping's receipt, the keys), and the lookup
// then answers from lookup_order as it always does: the same receipts, the same privacy, filters and pages, and the
// next lookup of the same order needs no Shopify. Only what truly matches the typed key is recorded: Shopify's
// search ignores a filter it does not know and then matches more, never less.

/** What the Admin API fallback needs of the process's access layer. */
export interface OrderFallbackDeps {
  graphql: AdminGraphql;
}

export type FallbackResult =
  /** Orders were recorded (0: Shopify has none matching either). */
  | { status: "recorded"; count: number }
  /** Shopify did not answer in time, or failed: the lookup answers "try again later". */
  | { status: "unavailable"; reason: UnknownReason };

/** At most this many orders of an account are asked for (a page of at most 10, and the newest first). */
const MAX_ACCOUNT_ORDERS = 10;
/** Shopify's single query limit is 1000 points; the receipt's line items are what costs. */
const QUERY_BUDGET = 900;

/** Line items per order that keep `first` orders within the budget (an order costs about 21 + 5 per line item). */
export function linesWithinBudget(first: number): number {
  return Math.max(1, Math.min(100, Math.floor((QUERY_BUDGET / first - 25) / 5)));
}

/** A value quoted for Shopify's search syntax. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Reasons for which asking again later may well work; the others (no session, scopes) answer "not found". */
const TRANSIENT: ReadonlySet<UnknownReason> = new Set<UnknownReason>(["deadline", "throttled", "unavailable", "invalid_answer", "needs_reconnect"]);

async function queryOrders(deps: OrderFallbackDeps, shop: string, query: string, first: number, deadline: number) {
  return deps.graphql.query(shop, ORDER_LOOKUP, { query, first, lines: linesWithinBudget(first) }, deadline);
}

async function record(write: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>, shop: string, orders: LookedUpOrder[], now: number): Promise<number> {
  const payloads = orders.flatMap((o) => {
    const parsed = OrderPayloadSchema.safeParse(o.payload);
    if (!parsed.success) log.warn("an order of the Admin API could not be read as an order", { shop, detail: parsed.error.issues[0]?.message });
    return parsed.success ? [parsed.data] : [];
  });
  if (payloads.length === 0) return 0;
  await write(async (tx) => {
    for (const order of payloads) {
      const facts = extractOrderFacts(order);
      await recordLookupOrder(tx, shop, order, facts, PAID_FINANCIAL_STATUSES.has(facts.financialStatus ?? ""), now);
    }
  });
  return payloads.length;
}

/** `order_number` not found locally: Shopify's confirmation number, and the order name when the merchant allows it. */
export async function fetchOrdersByNumber(
  deps: OrderFallbackDeps,
  write: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>,
  shop: string,
  typed: string,
  allowName: boolean,
  deadline: number,
  now: number,
): Promise<FallbackResult> {
  const confirmation = typed.trim().replace(/^#/, "").toUpperCase();
  const byConfirmation = /^[A-Z0-9]{4,20}$/.test(confirmation);
  const nameKey = orderNameKey(typed);
  const terms = [...(byConfirmation ? [`confirmation_number:${confirmation}`] : []), ...(allowName && nameKey !== "" ? [`name:${quoted(`#${nameKey}`)}`] : [])];
  if (terms.length === 0) return { status: "recorded", count: 0 };
  const answer = await queryOrders(deps, shop, terms.join(" OR "), 3, deadline);
  if (answer.status !== "ok") return TRANSIENT.has(answer.reason) ? { status: "unavailable", reason: answer.reason } : { status: "recorded", count: 0 };
  const matching = answer.data.orders.filter(
    (o) =>
      (byConfirmation && (o.payload.confirmation_number ?? "").trim().toUpperCase() === confirmation) ||
      (allowName && orderNameKey(o.payload.name) === nameKey),
  );
  return { status: "recorded", count: await record(write, shop, matching, now) };
}

/** `user_account` not found locally: the orders of that email (order search), or of that phone's customer. */
export async function fetchOrdersOfAccount(
  deps: OrderFallbackDeps,
  write: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>,
  shop: string,
  account: string,
  deadline: number,
  now: number,
): Promise<FallbackResult> {
  const key = accountKeyOf(account);
  if (!key) return { status: "recorded", count: 0 };
  let query: string;
  let customerPhone: string | null = null;
  if (key.column === "email_key") {
    query = `email:${quoted(key.key)}`;
  } else {
    // The order search has no phone filter: the customer with that phone first (digits compared here, not trusted).
    const customers = await deps.graphql.query(shop, CUSTOMERS_BY_CONTACT, { query: `phone:${quoted(`+${key.key}`)}` }, deadline);
    if (customers.status !== "ok") {
      return TRANSIENT.has(customers.reason) ? { status: "unavailable", reason: customers.reason } : { status: "recorded", count: 0 };
    }
    const withPhone = customers.data.customers.filter((c) => phoneKeyOf(c.phone) === key.key);
    const ids = withPhone.map((c) => c.id.replace(/^gid:\/\/shopify\/Customer\//, ""));
    if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) return { status: "recorded", count: 0 };
    customerPhone = withPhone[0].phone;
    query = ids.map((id) => `customer_id:${id}`).join(" OR ");
  }
  const answer = await queryOrders(deps, shop, query, MAX_ACCOUNT_ORDERS, deadline);
  if (answer.status !== "ok") return TRANSIENT.has(answer.reason) ? { status: "unavailable", reason: answer.reason } : { status: "recorded", count: 0 };
  // Recorded under the order's own contacts, as a webhook would record it: an order whose email is not the one typed
  // is kept out (the local lookup would not answer it either). An order of the phone's customer without a phone of its
  // own is found by the customer's, as an order webhook's `customer.phone` makes it.
  const matching = answer.data.orders
    .map((o) => (customerPhone && !o.payload.phone ? { ...o, payload: { ...o.payload, customer: { phone: customerPhone } } } : o))
    .filter((o) => (key.column === "email_key" ? emailKeyOf(o.payload.email) === key.key : phoneKeyOf(o.payload.phone ?? customerPhone) === key.key));
  return { status: "recorded", count: await record(write, shop, matching, now) };
}
