import { createHmac } from "node:crypto";
import { z } from "zod";
import type { Sql } from "../db/database.server";
import { log } from "../logger.server";
import { accountKeyOf, lookupReceiptOf, orderNameKey, type LookupReceipt } from "../pushes/lookup-receipt";
import type { ReceiptParams } from "../pushes/types";
import { countLookupsSince, insertLookupLog } from "../stores/lookup-log-store.server";
import {
  findLookupOrderByConfirmation,
  findLookupOrderByGid,
  findLookupOrderByName,
  listLookupOrdersOfAccount,
  type AccountFilter,
  type LookupOrderRow,
} from "../stores/lookup-order-store.server";
import { listCatalogueProperty, searchCatalogue, type CatalogueOrder, type CatalogueProductRow } from "../stores/catalogue-store.server";
import { recordLookupTest, type LookupSetupRow } from "../stores/lookup-setup-store.server";
import { readOrderToken } from "../stores/order-token-store.server";
import type { Admission, LookupCounts } from "./lookup-limits.server";
import { fetchOrdersByNumber, fetchOrdersOfAccount, type FallbackResult, type OrderFallbackDeps } from "./order-fallback.server";
import { isOrderTokenShape } from "./setup.server";

// JoinChat's customer-query webhook (decision 019), after the signature: one request's method dispatched, answered
// in JoinChat's latest shapes ({"success": true, "total", "data"} / {"success": false, "errors": "<string>"}),
// and logged (method, outcome, a keyed hash of what was looked up).

export type LookupOutcome = "found" | "not_found" | "refused" | "rate_limited";

export interface LookupAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface LookupLimits {
  perShopPerMinute: number;
  perIdentifierPerHour: number;
}

/** A lookup's answer, and its log row: submitted before the answer is sent, committed (or not) after. */
export interface AnsweredLookup {
  answer: LookupAnswer;
  logged: Promise<void>;
}

export interface CustomerQueryDeps {
  db: Sql;
  /** Runs the lookup's writes (its log row, a test's time): the group commit in the app, so lookups share fsyncs. */
  write?: <T>(work: (tx: Sql) => Promise<T>) => Promise<T>;
  limits: LookupLimits;
  /** The process's counts for the rate limits: one per process, so that lookups do not scan the log. */
  counts: LookupCounts;
  now?: () => number;
  /**
   * The Admin API, for orders not found locally (from before the app was installed); without it, not found is final.
   * Whatever Shopify does, the lookup answers by ADMIN_API_BUDGET_MS after it arrived.
   */
  adminApi?: OrderFallbackDeps | null;
}

/** How long after a lookup arrived the Admin API may still answer: JoinChat gets its answer within 3 s. */
export const ADMIN_API_BUDGET_MS = 2_500;

/** At most this many items per page, whatever `pagination.limit` asks. */
export const MAX_PAGE_LIMIT = 10;
const DEFAULT_PAGE_LIMIT = 3;

export const failure = (status: number, errors: string): LookupAnswer => ({ status, body: { success: false, errors } });

const Pagination = z
  .object({
    page: z.number({ invalid_type_error: "pagination.page must be a whole number" }).int("pagination.page must be a whole number").min(1).optional(),
    limit: z.number({ invalid_type_error: "pagination.limit must be a whole number" }).int("pagination.limit must be a whole number").min(1).optional(),
  })
  .passthrough();

// A field that is null was left out (serializers write absent fields as null); so was an empty choice.
const nullAsAbsent = (value: unknown) => (value === null ? undefined : value);
const blankAsAbsent = (value: unknown) => (value === null || (typeof value === "string" && value.trim() === "") ? undefined : value);
/** A choice among fixed words, in any case and with spaces around; null or empty: not given. */
const choice = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim().toLowerCase() : blankAsAbsent(value));

const Envelope = z.object({
  method: z.string({ required_error: "method is required", invalid_type_error: "method must be a string" }),
  params: z.preprocess(nullAsAbsent, z.record(z.unknown(), { invalid_type_error: "params must be an object" }).optional()),
  pagination: z.preprocess(nullAsAbsent, Pagination.optional()),
});

/** Text, or a whole number sent unquoted (an order number, a phone, a brand such as 361); null: not given. */
const optionalText = (name: string) =>
  z.preprocess(
    nullAsAbsent,
    z
      .union([z.string(), z.number().int().nonnegative()], { invalid_type_error: `${name} must be a string` })
      .transform((v) => String(v).trim())
      .optional(),
  );

const OrdersParams = z.object({
  order_number: optionalText("order_number"),
  user_account: optionalText("user_account"),
  // JoinChat's docs' prose still spells it so.
  user_amount: optionalText("user_amount"),
  filter: z.preprocess(choice, z.enum(["open", "closed"], { errorMap: () => ({ message: "filter must be open or closed" }) }).optional()),
});

const TestParams = z.object({ token: z.string({ required_error: "params.token is required", invalid_type_error: "params.token must be a string" }).max(200) });

const ProductsParams = z.object({
  title: optionalText("title"),
  product_type: optionalText("product_type"),
  vendor: optionalText("vendor"),
  order_type: z.preprocess(
    blankAsAbsent,
    z
      .string({ invalid_type_error: "order_type must be a string" })
      .regex(/^\s*(title|created_at|updated_at)\s*,\s*(asc|desc)\s*$/i, "order_type must be <title|created_at|updated_at>,<asc|desc>")
      .optional(),
  ),
});

// `search_type` (product_type / vendor), or the older docs' `search` (type / vendor).
const PropertyParams = z
  .object({
    search_type: z.preprocess(
      choice,
      z.enum(["product_type", "vendor"], { errorMap: () => ({ message: "search_type must be product_type or vendor" }) }).optional(),
    ),
    search: z.preprocess(choice, z.enum(["type", "vendor"], { errorMap: () => ({ message: "search must be type or vendor" }) }).optional()),
  })
  .refine((p) => (p.search_type === undefined) !== (p.search === undefined), "params must hold one of search_type or search");

type Envelope = z.infer<typeof Envelope>;

class Refusal extends Error {
  constructor(readonly answer: LookupAnswer) {
    super(String(answer.body.errors));
  }
}

function parseParams<S extends z.ZodTypeAny>(schema: S, params: unknown): z.infer<S> {
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) throw new Refusal(failure(400, parsed.error.issues[0].message));
  return parsed.data;
}

function pageOf(envelope: Envelope): { page: number; offset: number; limit: number } {
  const limit = Math.min(envelope.pagination?.limit ?? DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  const page = envelope.pagination?.page ?? 1;
  // A page past any data, even one whose offset no database takes: an empty page.
  return { page, limit, offset: Math.min((page - 1) * limit, Number.MAX_SAFE_INTEGER) };
}

/** A keyed hash of what was looked up: the log and the rate limit never hold it in clear. */
export function identifierHashOf(salt: string, identifier: string): string {
  return createHmac("sha256", salt).update(identifier).digest("base64url");
}

interface Handled {
  answer: LookupAnswer;
  outcome: LookupOutcome;
  identifierHash: string | null;
}

/**
 * Answers one signed request of the shop whose set-up is `setup`; `raw` is the body, not yet parsed. The lookup's log
 * row is submitted (to the group commit, in order with every later write) before this returns; the answer does not wait
 * for it to be committed (decision 025).
 */
export async function answerCustomerQuery(deps: CustomerQueryDeps, setup: LookupSetupRow, raw: Buffer): Promise<AnsweredLookup> {
  const now = (deps.now ?? Date.now)();
  let method = "unknown";
  let handled: Handled;
  const admissions: Admission[] = [];
  try {
    let data: unknown;
    try {
      data = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new Refusal(failure(400, "the body is not JSON"));
    }
    const envelope = Envelope.safeParse(data);
    if (!envelope.success) throw new Refusal(failure(400, envelope.error.issues[0].message));
    method = METHODS.has(envelope.data.method) ? envelope.data.method : "unknown";
    const admitted = await deps.counts.admit(`shop:${setup.shop}`, deps.limits.perShopPerMinute, now, () =>
      countLookupsSince(deps.db, setup.shop, now - 60_000),
    );
    if (!admitted) {
      handled = { answer: failure(429, "too many lookups for this shop: try again in a minute"), outcome: "rate_limited", identifierHash: null };
    } else {
      admissions.push(admitted);
      handled = await dispatch(deps, setup, envelope.data, now, admissions);
    }
  } catch (error) {
    if (!(error instanceof Refusal)) {
      for (const admission of admissions) admission.withdraw();
      throw error;
    }
    handled = { answer: error.answer, outcome: error.answer.status === 429 ? "rate_limited" : "refused", identifierHash: null };
    if (error instanceof IdentifiedRefusal) handled.identifierHash = error.identifierHash;
  }
  const entry = { shop: setup.shop, method, outcome: handled.outcome, identifierHash: handled.identifierHash, at: now };
  // A rate-limited lookup is logged but counts towards no limit (the log's counts leave it out too).
  const counted = handled.outcome !== "rate_limited";
  const logged = writeOf(deps)((tx) => insertLookupLog(tx, entry)).then(
    () => admissions.forEach((admission) => (counted ? admission.logged() : admission.withdraw())),
    (error: unknown) => {
      admissions.forEach((admission) => admission.withdraw());
      throw error;
    },
  );
  log.info("customer lookup", { shop: setup.shop, method, outcome: handled.outcome, status: handled.answer.status });
  return { answer: handled.answer, logged };
}

class IdentifiedRefusal extends Refusal {
  constructor(
    answer: LookupAnswer,
    readonly identifierHash: string,
  ) {
    super(answer);
  }
}

const METHODS = new Set(["test", "orders", "products", "property"]);

async function dispatch(deps: CustomerQueryDeps, setup: LookupSetupRow, envelope: Envelope, now: number, admissions: Admission[]): Promise<Handled> {
  switch (envelope.method) {
    case "test": {
      const { token } = parseParams(TestParams, envelope.params);
      await writeOf(deps)((tx) => recordLookupTest(tx, setup.shop, now));
      return { answer: { status: 200, body: { success: true, token, data: { token } } }, outcome: "found", identifierHash: null };
    }
    case "orders":
      return answerOrders(deps, setup, envelope, now, admissions);
    case "products":
      return answerProducts(deps, setup, envelope);
    case "property":
      return answerProperty(deps, setup, envelope);
    default:
      throw new Refusal(failure(400, `unknown method "${envelope.method}": this endpoint answers test, orders, products and property`));
  }
}

/** The same bytes whether the account does not exist or has no orders, or the order is not found. */
const NOT_FOUND: LookupAnswer = { status: 200, body: { success: true, total: 0, data: [] } };

/** Not found locally, and Shopify did not answer in time: JoinChat's failure shape, so the bot says to try later. */
export const TRY_LATER: LookupAnswer = failure(503, "order not found right now: please try again later");

const writeOf = (deps: CustomerQueryDeps) => deps.write ?? (<T>(work: (tx: Sql) => Promise<T>) => work(deps.db));

/** Asks Shopify (when the lookup may) within what is left of the lookup's time; null when there is nothing to ask. */
async function askShopify(deps: CustomerQueryDeps, shop: string, ask: (fallback: OrderFallbackDeps, deadline: number) => Promise<FallbackResult>, now: number) {
  if (!deps.adminApi) return null;
  const result = await ask(deps.adminApi, now + ADMIN_API_BUDGET_MS).catch((error: unknown): FallbackResult => {
    log.warn("order lookup through the Admin API failed", { shop, error });
    return { status: "unavailable", reason: "unavailable" };
  });
  if (result.status === "unavailable") log.info("order lookup through the Admin API: no answer in time", { shop, reason: result.reason });
  return result;
}

async function checkIdentifierLimit(deps: CustomerQueryDeps, shop: string, identifierHash: string, now: number, admissions: Admission[]): Promise<void> {
  const admitted = await deps.counts.admit(`identifier:${shop}:${identifierHash}`, deps.limits.perIdentifierPerHour, now, () =>
    countLookupsSince(deps.db, shop, now - 3_600_000, identifierHash),
  );
  if (!admitted) throw new IdentifiedRefusal(failure(429, "too many lookups of this order or account: try again later"), identifierHash);
  admissions.push(admitted);
}

function receiptOf(row: LookupOrderRow, full: boolean): LookupReceipt {
  return lookupReceiptOf(JSON.parse(row.receipt) as ReceiptParams, full);
}

async function answerOrders(deps: CustomerQueryDeps, setup: LookupSetupRow, envelope: Envelope, now: number, admissions: Admission[]): Promise<Handled> {
  const params = parseParams(OrdersParams, envelope.params);
  const account = params.user_account ?? params.user_amount;
  const orderNumber = params.order_number;
  if ((orderNumber === undefined || orderNumber === "") === (account === undefined || account.trim() === "")) {
    throw new Refusal(failure(400, "params must hold exactly one of order_number or user_account"));
  }
  const fullEverywhere = setup.full_receipts === 1;

  if (orderNumber !== undefined && orderNumber !== "") {
    const identifierHash = identifierHashOf(setup.hash_salt, `order:${orderNameKey(orderNumber)}`);
    await checkIdentifierLimit(deps, setup.shop, identifierHash, now, admissions);
    let found = await findOrderByNumber(deps.db, setup, orderNumber, now);
    if (!found) {
      const asked = await askShopify(
        deps,
        setup.shop,
        (fallback, deadline) => fetchOrdersByNumber(fallback, writeOf(deps), setup.shop, orderNumber, setup.allow_order_name === 1, deadline, now),
        now,
      );
      if (asked?.status === "unavailable") return { answer: TRY_LATER, outcome: "not_found", identifierHash };
      if (asked && asked.count > 0) found = await findOrderByNumber(deps.db, setup, orderNumber, now);
    }
    if (!found) return { answer: NOT_FOUND, outcome: "not_found", identifierHash };
    const receipt = receiptOf(found.row, found.byToken || fullEverywhere);
    return { answer: { status: 200, body: { success: true, total: 1, data: [receipt] } }, outcome: "found", identifierHash };
  }

  const key = accountKeyOf(account ?? "");
  const identifierHash = identifierHashOf(setup.hash_salt, `account:${key?.key ?? (account ?? "").trim().toLowerCase()}`);
  await checkIdentifierLimit(deps, setup.shop, identifierHash, now, admissions);
  if (!key) return { answer: NOT_FOUND, outcome: "not_found", identifierHash };
  const page = pageOf(envelope);
  const filter: AccountFilter = params.filter ?? null;
  let { total, rows } = await listLookupOrdersOfAccount(deps.db, setup.shop, key, filter, page);
  // Only an account the app knows no order of at all is asked of Shopify (not one whose orders the filter leaves out).
  if (total === 0 && (filter === null || (await listLookupOrdersOfAccount(deps.db, setup.shop, key, null, { offset: 0, limit: 1 })).total === 0)) {
    const asked = await askShopify(
      deps,
      setup.shop,
      (fallback, deadline) => fetchOrdersOfAccount(fallback, writeOf(deps), setup.shop, account ?? "", deadline, now),
      now,
    );
    if (asked?.status === "unavailable") return { answer: TRY_LATER, outcome: "not_found", identifierHash };
    if (asked && asked.count > 0) ({ total, rows } = await listLookupOrdersOfAccount(deps.db, setup.shop, key, filter, page));
  }
  if (total === 0) return { answer: NOT_FOUND, outcome: "not_found", identifierHash };
  const data = rows.map((row) => receiptOf(row, fullEverywhere));
  return { answer: { status: 200, body: { success: true, total, data } }, outcome: "found", identifierHash };
}

/** A lookup token first (a full receipt), then Shopify's confirmation number, then (when allowed) the order name. */
async function findOrderByNumber(sql: Sql, setup: LookupSetupRow, typed: string, now: number): Promise<{ row: LookupOrderRow; byToken: boolean } | null> {
  const lower = typed.trim().toLowerCase();
  if (isOrderTokenShape(lower)) {
    const token = await readOrderToken(sql, setup.shop, lower);
    if (token && token.expires_at > now) {
      const row = await findLookupOrderByGid(sql, setup.shop, token.order_gid);
      if (row) return { row, byToken: true };
    }
  }
  const confirmation = typed.trim().replace(/^#/, "").toUpperCase();
  if (/^[A-Z0-9]{4,20}$/.test(confirmation)) {
    const row = await findLookupOrderByConfirmation(sql, setup.shop, confirmation);
    if (row) return { row, byToken: false };
  }
  if (setup.allow_order_name === 1) {
    const row = await findLookupOrderByName(sql, setup.shop, orderNameKey(typed));
    if (row) return { row, byToken: false };
  }
  return null;
}

const ORDER_FIELDS: Record<string, CatalogueOrder["field"]> = { title: "title", created_at: "product_created", updated_at: "product_updated" };

function productAnswerOf(shop: string, row: CatalogueProductRow) {
  const detailUrl = `https://${shop}/products/${encodeURIComponent(row.handle)}`;
  return {
    title: row.title,
    image_url: row.image_url ?? "",
    product_type: row.product_type,
    vendor: row.vendor,
    desc: row.description,
    detail_url: detailUrl,
    // The cart permalink of the first available variant; the product page when none is.
    buy_url: row.variant_id ? `https://${shop}/cart/${row.variant_id}:1` : detailUrl,
    price: row.price ?? "",
  };
}

function term(value: string | undefined): string | null {
  const trimmed = (value ?? "").trim();
  return trimmed === "" ? null : trimmed;
}

async function answerProducts(deps: CustomerQueryDeps, setup: LookupSetupRow, envelope: Envelope): Promise<Handled> {
  const params = parseParams(ProductsParams, envelope.params);
  const [field, dir] = (params.order_type ?? "updated_at,desc").split(",").map((part) => part.trim().toLowerCase());
  const page = pageOf(envelope);
  const { total, rows } = await searchCatalogue(
    deps.db,
    setup.shop,
    { title: term(params.title), productType: term(params.product_type), vendor: term(params.vendor) },
    { field: ORDER_FIELDS[field], dir: dir === "asc" ? "asc" : "desc" },
    page,
  );
  const data = rows.map((row) => productAnswerOf(setup.shop, row));
  return { answer: { status: 200, body: { success: true, total, data } }, outcome: total > 0 ? "found" : "not_found", identifierHash: null };
}

async function answerProperty(deps: CustomerQueryDeps, setup: LookupSetupRow, envelope: Envelope): Promise<Handled> {
  const params = parseParams(PropertyParams, envelope.params);
  const column = params.search_type === "vendor" || params.search === "vendor" ? "vendor" : "product_type";
  const data = await listCatalogueProperty(deps.db, setup.shop, column);
  return { answer: { status: 200, body: { success: true, data } }, outcome: data.length > 0 ? "found" : "not_found", identifierHash: null };
}
