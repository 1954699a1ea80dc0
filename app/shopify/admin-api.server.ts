import type { Sql } from "../db/database.server";
import { log } from "../logger.server";

// The few Admin API reads a push may use: product images and an order's contact (with the customer's
// `joinchat.psid` metafield). Each is optional: no session, an error or a slow answer means "not known",
// within a short timeout, and a shop whose calls fail is left alone for a while.

export interface OrderContact {
  name: string | null;
  email: string | null;
  phone: string | null;
  psid: string | null;
  customerGid: string | null;
  recipientName: string | null;
  orderStatusUrl: string | null;
}

export interface AdminApi {
  fetchProductImages(shop: string, productGids: string[]): Promise<Map<string, string | null>>;
  fetchOrderContact(shop: string, orderGid: string): Promise<OrderContact | null>;
  fetchCustomerPsid(shop: string, customerGid: string): Promise<string | null>;
}

export interface AdminApiOptions {
  sql: Sql;
  apiVersion: string;
  timeoutMs: number;
  /** Tests point this at a stand-in; by default https://<shop>. */
  origin?: string;
  /** How long a shop whose call failed is not asked again. */
  cooldownMs?: number;
}

const PRODUCT_IMAGES = `query ProductImages($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id featuredMedia { preview { image { url } } } } }
}`;

const ORDER_CONTACT = `query OrderContact($id: ID!) {
  order(id: $id) {
    name email phone statusPageUrl
    shippingAddress { name }
    billingAddress { name }
    customer { id firstName lastName email phone metafield(namespace: "joinchat", key: "psid") { value } }
  }
}`;

const CUSTOMER_PSID = `query CustomerPsid($id: ID!) {
  customer(id: $id) { metafield(namespace: "joinchat", key: "psid") { value } }
}`;

type Json = Record<string, unknown> | null | undefined;

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);
const digits = (v: unknown): string | null => {
  const t = text(v);
  return t && /^\d+$/.test(t) ? t : null;
};

export function createAdminApi(options: AdminApiOptions): AdminApi {
  const coolingUntil = new Map<string, number>();
  const cooldownMs = options.cooldownMs ?? 60_000;

  async function graphql(shop: string, query: string, variables: Record<string, unknown>): Promise<Json> {
    if ((coolingUntil.get(shop) ?? 0) > Date.now()) return null;
    const session = await options.sql.get<{ accessToken: string }>(`SELECT "accessToken" FROM "Session" WHERE "id" = ?`, [`offline_${shop}`]);
    if (!session?.accessToken) return null;
    const origin = options.origin ?? `https://${shop}`;
    try {
      const res = await fetch(`${origin}/admin/api/${options.apiVersion}/graphql.json`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-shopify-access-token": session.accessToken },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { data?: Json; errors?: unknown };
      if (!body.data) throw new Error(`no data: ${JSON.stringify(body.errors ?? null).slice(0, 200)}`);
      return body.data;
    } catch (error) {
      coolingUntil.set(shop, Date.now() + cooldownMs);
      log.warn("admin api lookup failed", { shop, error });
      return null;
    }
  }

  return {
    async fetchProductImages(shop, productGids) {
      const found = new Map<string, string | null>();
      if (productGids.length === 0) return found;
      const data = await graphql(shop, PRODUCT_IMAGES, { ids: productGids });
      if (!data) return found;
      for (const node of (data.nodes as Json[] | undefined) ?? []) {
        const id = text(node?.id);
        if (!id) continue;
        const media = node?.featuredMedia as Json;
        const image = ((media?.preview as Json)?.image as Json)?.url;
        found.set(id, text(image));
      }
      for (const gid of productGids) if (!found.has(gid)) found.set(gid, null);
      return found;
    },
    async fetchOrderContact(shop, orderGid) {
      const data = await graphql(shop, ORDER_CONTACT, { id: orderGid });
      const order = data?.order as Json;
      if (!order) return null;
      const customer = order.customer as Json;
      const customerName = [text(customer?.firstName), text(customer?.lastName)].filter(Boolean).join(" ");
      return {
        name: text(order.name),
        email: text(order.email) ?? text(customer?.email),
        phone: text(order.phone) ?? text(customer?.phone),
        psid: digits((customer?.metafield as Json)?.value),
        customerGid: text(customer?.id),
        recipientName: text((order.shippingAddress as Json)?.name) ?? text((order.billingAddress as Json)?.name) ?? (customerName || null),
        orderStatusUrl: text(order.statusPageUrl),
      };
    },
    async fetchCustomerPsid(shop, customerGid) {
      const data = await graphql(shop, CUSTOMER_PSID, { id: customerGid });
      return digits(((data?.customer as Json)?.metafield as Json)?.value);
    },
  };
}
