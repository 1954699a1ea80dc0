import { log } from "../../logger.server";
import type { AdminAccessStore, CachedValue } from "./access-store.server";
import { DEADLINE, until } from "./deadline";
import { CUSTOMER_PSID, ORDER_CONTACT, PRODUCT_IMAGES } from "./documents";
import type { AdminGraphql } from "./graphql-client.server";
import type { Lookup, OrderContact } from "./types";

// The lookups a push makes, cached in the database with a lifetime so that every process shares what one found:
// a flash sale of one product asks Shopify for its image once (once per process at the very start, while the
// first lookup is in flight: each process joins its own), not once per order. A lookup that fails is not cached,
// and the next push asks again. Webhooks that say something changed call the forget functions.

/** A product's image URL is kept a day; a product without one is asked again after an hour. */
export const IMAGE_TTL_MS = 24 * 3_600_000;
export const MISSING_IMAGE_TTL_MS = 3_600_000;
/** A customer's PSID is kept a day; a customer without one is asked again after ten minutes (JoinChat may be writing it). */
export const PSID_TTL_MS = 24 * 3_600_000;
export const MISSING_PSID_TTL_MS = 10 * 60_000;
/** Ids per ProductImages query: its cost (4 points an id) stays far under Shopify's single query limit of 1000. */
export const IMAGE_BATCH = 50;

export interface AdminLookupsOptions {
  graphql: AdminGraphql;
  store: AdminAccessStore;
  now?: () => number;
}

export interface AdminLookups {
  /** Image URLs (null: the product has none) of the products that are known; an unknown one is left out. */
  fetchProductImages(shop: string, productGids: string[], deadline: number): Promise<Map<string, string | null>>;
  fetchCustomerPsid(shop: string, customerGid: string, deadline: number): Promise<Lookup<string | null>>;
  fetchOrderContact(shop: string, orderGid: string, deadline: number): Promise<Lookup<OrderContact | null>>;
  forgetProductImages(shop: string, productGids?: string[]): Promise<number>;
  forgetCustomerPsid(shop: string, customerGid?: string): Promise<number>;
}

/**
 * One lookup per key while it runs: the callers of the same lookup share it. A lookup whose deadline has passed is
 * not joined (it is about to answer "unknown"); the caller starts its own.
 *
 * A lookup reads the database cache itself, inside the flight: callers that start together join one flight before
 * any of them reads, whatever order the database answers them in; a caller that comes after a flight ended reads
 * what it wrote (the write finishes before the flight answers).
 */
function singleFlight<T>(now: () => number) {
  const running = new Map<string, { promise: Promise<T>; deadline: number }>();
  return (key: string, deadline: number, start: () => Promise<T>): Promise<T> => {
    const existing = running.get(key);
    if (existing && existing.deadline > now()) return existing.promise;
    const entry = { promise: start(), deadline };
    running.set(key, entry);
    const done = () => {
      if (running.get(key) === entry) running.delete(key);
    };
    void entry.promise.then(done, done);
    return entry.promise;
  };
}

export function createAdminLookups(options: AdminLookupsOptions): AdminLookups {
  const { graphql, store } = options;
  const now = options.now ?? Date.now;
  /** Per shop and product while its lookup runs: the URL, null (no image), undefined (not known). */
  const imageFlights = singleFlight<string | null | undefined>(now);
  const psidFlights = singleFlight<Lookup<string | null>>(now);
  const orderFlights = singleFlight<Lookup<OrderContact | null>>(now);

  async function fetchImageBatch(shop: string, gids: string[], deadline: number): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    const answer = await graphql.query(shop, PRODUCT_IMAGES, { ids: gids }, deadline);
    // A node left out for want of read_products is not a product without an image.
    if (answer.status !== "ok" || answer.denied) return found;
    for (const node of answer.data.nodes) if (node) found.set(node.id, node.imageUrl);
    // nodes answers in the order asked; an id it answered null for is a product the shop no longer has.
    gids.forEach((gid, i) => {
      if (!found.has(gid) && answer.data.nodes[i] === null) found.set(gid, null);
    });
    if (found.size > 0) {
      await store.writeProductImages(shop, found, now()).catch((error: unknown) => log.warn("product image cache write failed", { shop, error }));
    }
    return found;
  }

  /** The products' images from the cache, and from Shopify (in batches) for those the cache has not or no longer. */
  async function lookUpImages(shop: string, gids: string[], deadline: number): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    const cached = await store.readProductImages(shop, gids).catch((error: unknown) => {
      log.warn("product image cache read failed", { shop, error });
      return new Map<string, CachedValue>();
    });
    const t = now();
    for (const [gid, entry] of cached) {
      if (t - entry.fetchedAt < (entry.value ? IMAGE_TTL_MS : MISSING_IMAGE_TTL_MS)) found.set(gid, entry.value);
    }
    const missing = gids.filter((g) => !found.has(g));
    const batches: string[][] = [];
    for (let i = 0; i < missing.length; i += IMAGE_BATCH) batches.push(missing.slice(i, i + IMAGE_BATCH));
    const answers = await Promise.all(
      batches.map((batch) =>
        fetchImageBatch(shop, batch, deadline).catch((error: unknown) => {
          log.warn("product image lookup failed", { shop, error });
          return new Map<string, string | null>();
        }),
      ),
    );
    for (const answer of answers) for (const [gid, url] of answer) found.set(gid, url);
    return found;
  }

  return {
    async fetchProductImages(shop, productGids, deadline) {
      const wanted = [...new Set(productGids)];
      const known = new Map<string, string | null>();
      if (wanted.length === 0) return known;
      // Per product: a lookup already in flight is joined; the products this call starts a lookup for are read from
      // the cache together, and those not cached go to Shopify in batches of IMAGE_BATCH. The same product asked by
      // many pushes at once makes one read and at most one query.
      let mine: { gids: string[]; answer: Promise<Map<string, string | null>> } | null = null;
      const startLookup = (gid: string) => {
        if (!mine) {
          const gids: string[] = [];
          // Started after this call has put every product of its own in it.
          mine = { gids, answer: Promise.resolve().then(() => lookUpImages(shop, gids, deadline)) };
        }
        mine.gids.push(gid);
        return mine.answer.then((found) => (found.has(gid) ? (found.get(gid) ?? null) : undefined));
      };
      const pending = wanted.map((gid) => imageFlights(`${shop} ${gid}`, deadline, () => startLookup(gid)).then((url) => [gid, url] as const));
      const answers = await until(Promise.all(pending), deadline, now);
      if (answers !== DEADLINE) for (const [gid, url] of answers) if (url !== undefined) known.set(gid, url);
      return known;
    },

    async fetchCustomerPsid(shop, customerGid, deadline) {
      const lookup = psidFlights(`${shop} ${customerGid}`, deadline, async (): Promise<Lookup<string | null>> => {
        const cached = await store.readCustomerPsid(shop, customerGid).catch((error: unknown) => {
          log.warn("psid cache read failed", { shop, error });
          return null;
        });
        if (cached && now() - cached.fetchedAt < (cached.value ? PSID_TTL_MS : MISSING_PSID_TTL_MS)) return { status: "found", value: cached.value };
        const answer = await graphql.query(shop, CUSTOMER_PSID, { id: customerGid }, deadline);
        if (answer.status !== "ok") return { status: "unknown", reason: answer.reason };
        if (answer.denied) return { status: "unknown", reason: "access_denied" };
        const psid = answer.data.customer?.psid ?? null;
        await store.writeCustomerPsid(shop, customerGid, psid, now()).catch((error: unknown) => log.warn("psid cache write failed", { shop, error }));
        return { status: "found", value: psid };
      });
      const answer = await until(lookup, deadline, now);
      return answer === DEADLINE ? { status: "unknown", reason: "deadline" } : answer;
    },

    async fetchOrderContact(shop, orderGid, deadline) {
      const lookup = orderFlights(`${shop} ${orderGid}`, deadline, async (): Promise<Lookup<OrderContact | null>> => {
        const answer = await graphql.query(shop, ORDER_CONTACT, { id: orderGid }, deadline);
        if (answer.status !== "ok") return { status: "unknown", reason: answer.reason };
        const order = answer.data.order;
        // Without read_customers the order comes without its customer: its own contact is still worth having.
        if (!order) return answer.denied ? { status: "unknown", reason: "access_denied" } : { status: "found", value: null };
        const customer = order.customer;
        const customerName = [customer?.firstName, customer?.lastName].filter(Boolean).join(" ");
        return {
          status: "found",
          value: {
            name: order.name,
            email: order.email ?? customer?.email ?? null,
            phone: order.phone ?? customer?.phone ?? null,
            psid: customer?.psid ?? null,
            customerGid: customer?.id ?? null,
            recipientName: order.shippingName ?? order.billingName ?? (customerName || null),
            orderStatusUrl: order.statusPageUrl,
          },
        };
      });
      const answer = await until(lookup, deadline, now);
      return answer === DEADLINE ? { status: "unknown", reason: "deadline" } : answer;
    },

    forgetProductImages: (shop, productGids) => store.deleteProductImages(shop, productGids),
    forgetCustomerPsid: (shop, customerGid) => store.deleteCustomerPsids(shop, customerGid),
  };
}
