import { describe, expect, it } from "vitest";
import type { AdminAccessStore, CachedValue } from "./access-store.server";
import type { AdminGraphql } from "./graphql-client.server";
import { createAdminLookups } from "./lookups.server";

// The race the database cache alone leaves open: a caller reads the cache, another caller's lookup starts, asks
// Shopify, writes the cache and finishes, and only then does the first read answer (empty: it began before the write).
// The first caller must take what the finished lookup found, not ask Shopify again.

const SHOP = "race.myshopify.com";
const PRODUCT = "gid://shopify/Product/1";
const CUSTOMER = "gid://shopify/Customer/1";
/** Far ahead of the harness's clock, and within what a timer can wait. */
const DEADLINE = 2_000_000;
const tick = () => new Promise((resolve) => setImmediate(resolve));

function harness() {
  let clock = 1_000_000;
  const calls: string[] = [];
  const images = new Map<string, CachedValue>();
  const psids = new Map<string, CachedValue>();
  const heldReads: (() => void)[] = [];
  let holdReads = false;
  const read = async <T>(answer: () => T): Promise<T> => {
    // The answer is taken when the read starts (as a database snapshot would), and given when it is released.
    const value = answer();
    if (holdReads) await new Promise<void>((resolve) => heldReads.push(resolve));
    return value;
  };
  const store: Pick<
    AdminAccessStore,
    "readProductImages" | "writeProductImages" | "deleteProductImages" | "readCustomerPsid" | "writeCustomerPsid" | "deleteCustomerPsids"
  > = {
    readProductImages: (shop, gids) => read(() => new Map(gids.flatMap((g) => (images.has(g) ? [[g, images.get(g)!] as const] : [])))),
    writeProductImages: async (shop, found, now) => {
      for (const [g, value] of found) images.set(g, { value, fetchedAt: now });
    },
    deleteProductImages: async () => {
      const n = images.size;
      images.clear();
      return n;
    },
    readCustomerPsid: (shop, gid) => read(() => psids.get(gid) ?? null),
    writeCustomerPsid: async (shop, gid, psid, now) => {
      psids.set(gid, { value: psid, fetchedAt: now });
    },
    deleteCustomerPsids: async () => {
      const n = psids.size;
      psids.clear();
      return n;
    },
  };
  const graphql: AdminGraphql = {
    query: async (shop, document) => {
      calls.push(document.name);
      const data =
        document.name === "ProductImages"
          ? { nodes: [{ id: PRODUCT, imageUrl: "https://cdn.shopify.com/1.png" }] }
          : { customer: { id: CUSTOMER, psid: "42" } };
      return { status: "ok", data: data as never, denied: false };
    },
  };
  const lookups = createAdminLookups({ graphql, store: store as AdminAccessStore, now: () => clock });
  return {
    lookups,
    calls,
    hold: () => (holdReads = true),
    /** Answers the held reads, those at the indexes of `first` (when there are so many) before the others. */
    release: (first: number[] = []) => {
      holdReads = false;
      const held = heldReads.splice(0);
      const order = [...first.filter((i) => i < held.length), ...held.keys()].filter((i, at, all) => all.indexOf(i) === at);
      order.forEach((i) => held[i]());
    },
    advance: (ms: number) => (clock += ms),
  };
}

describe("lookups that race the cache", () => {
  it("a caller whose cache read outlasts another's whole lookup takes what that lookup found", async () => {
    const h = harness();
    h.hold();
    const slow = h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE);
    const slowPsid = h.lookups.fetchCustomerPsid(SHOP, CUSTOMER, DEADLINE);
    await tick();
    h.release();
    // A first pair of callers asks Shopify and finishes while the next pair's reads are held.
    h.hold();
    const late = h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE);
    const latePsid = h.lookups.fetchCustomerPsid(SHOP, CUSTOMER, DEADLINE);
    await tick();
    expect((await slow).get(PRODUCT)).toBe("https://cdn.shopify.com/1.png");
    expect(await slowPsid).toEqual({ status: "found", value: "42" });
    h.release();
    expect((await late).get(PRODUCT)).toBe("https://cdn.shopify.com/1.png");
    expect(await latePsid).toEqual({ status: "found", value: "42" });
    expect(h.calls.sort()).toEqual(["CustomerPsid", "ProductImages"]);
  });

  it("callers asking together and apart make one query, whatever order the database answers their reads in", async () => {
    const h = harness();
    const OTHER = "gid://shopify/Product/2";
    h.hold();
    const answers = Promise.all([
      h.lookups.fetchProductImages(SHOP, [PRODUCT, OTHER], DEADLINE),
      ...Array.from({ length: 5 }, () => h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE)),
      ...Array.from({ length: 5 }, () => h.lookups.fetchProductImages(SHOP, [OTHER, PRODUCT], DEADLINE)),
    ]);
    await tick();
    // A push asking for one product answered first, then one asking for both: still one query.
    h.release([1, 6]);
    expect((await answers).every((found) => found.get(PRODUCT) === "https://cdn.shopify.com/1.png")).toBe(true);
    expect(h.calls).toEqual(["ProductImages"]);
  });

  it("forgetting makes the next push ask Shopify again", async () => {
    const h = harness();
    await h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE);
    await h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE);
    expect(h.calls).toEqual(["ProductImages"]);
    await h.lookups.forgetProductImages(SHOP, [PRODUCT]);
    await h.lookups.fetchProductImages(SHOP, [PRODUCT], DEADLINE);
    await h.lookups.fetchCustomerPsid(SHOP, CUSTOMER, DEADLINE);
    await h.lookups.forgetCustomerPsid(SHOP, CUSTOMER);
    await h.lookups.fetchCustomerPsid(SHOP, CUSTOMER, DEADLINE);
    expect(h.calls).toEqual(["ProductImages", "ProductImages", "CustomerPsid", "CustomerPsid"]);
  });
});
