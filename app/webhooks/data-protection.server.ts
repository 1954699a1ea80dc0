import type { Sql } from "../db/database.server";
import { eraseLookupCustomer, eraseLookupShop } from "../lookup/erasure.server";
import { SKIP_REASONS } from "../pushes/reasons";
import { createAdminAccessStore } from "../shopify/admin-api/access-store.server";
import { normalizePhone } from "../pushes/recipient";
import { toGid, type CustomersDataRequestPayload, type CustomersRedactPayload } from "../shopify/payloads";
import { deleteDataRequestsOfCustomer, deleteDataRequestsOfShop, insertDataRequest } from "../stores/data-request-store.server";
import { deleteFulfillmentStatesOfShop } from "../stores/fulfillment-store.server";
import { deleteBindingsOfCustomer, deleteBindingsOfShop } from "../stores/messenger-binding-store.server";
import { deleteOptinEventsOfShop } from "../stores/optin-event-store.server";
import { deleteOrder, deleteOrdersOfShop, findCustomerOrderGids } from "../stores/order-store.server";
import { deletePushesOfShop, erasePushCustomerData, findCustomerPushIds, type CustomerMatch } from "../stores/push-store.server";
import { deleteSessionsOfShop } from "../stores/session-store.server";
import { deleteShopSettings } from "../stores/shop-settings-store.server";
import { deleteWebhookDeliveriesOfShop } from "../stores/webhook-delivery-store.server";

// Shopify's compliance topics. None needs an Admin API session: they arrive after uninstall too.

/** shop/redact: every row of the shop, in every table (each store deletes its own). */
export async function eraseShop(tx: Sql, shop: string): Promise<void> {
  await deletePushesOfShop(tx, shop);
  await deleteFulfillmentStatesOfShop(tx, shop);
  await deleteOrdersOfShop(tx, shop);
  await deleteWebhookDeliveriesOfShop(tx, shop);
  // The Admin API layer's tables: its cached product images and PSIDs, and the shop's refresh lease and reconnect mark.
  const access = createAdminAccessStore(tx, null);
  await access.deleteProductImages(shop);
  await access.deleteCustomerPsids(shop);
  await access.deleteAccess(shop);
  await deleteDataRequestsOfShop(tx, shop);
  await deleteBindingsOfShop(tx, shop);
  await deleteOptinEventsOfShop(tx, shop);
  await eraseLookupShop(tx, shop);
  await deleteShopSettings(tx, shop);
  await deleteSessionsOfShop(tx, shop);
}

interface CustomerRef extends CustomerMatch {
  orderGids: string[];
}

function customerRefOf(payload: CustomersRedactPayload | CustomersDataRequestPayload, orderIds: readonly (string | number)[] | null | undefined): CustomerRef {
  const customer = payload.customer ?? null;
  return {
    customerGid: toGid("Customer", customer?.id ?? null),
    // As the app stores them: a recipient's email compared in lower case, a phone in its normalised form.
    email: customer?.email?.trim().toLowerCase() || null,
    phone: normalizePhone(customer?.phone),
    orderGids: (orderIds ?? []).map((id) => toGid("Order", id)).filter((g): g is string => g !== null),
  };
}

/** The orders of the shop that belong to the customer: named by Shopify, or matched by customer or contact. */
async function customerOrderGids(tx: Sql, shop: string, ref: CustomerRef): Promise<string[]> {
  return [...new Set([...ref.orderGids, ...(await findCustomerOrderGids(tx, shop, ref))])];
}

/**
 * customers/redact: the customer's contact, name, address and the bodies sent to JoinChat are erased from
 * every push; what remains (topic, order name, status, times) keeps the merchant's counts right.
 */
export async function eraseCustomer(tx: Sql, shop: string, payload: CustomersRedactPayload, now: number): Promise<{ pushes: number; orders: number }> {
  const ref = customerRefOf(payload, payload.orders_to_redact);
  const orderGids = await customerOrderGids(tx, shop, ref);
  const pushIds = await findCustomerPushIds(tx, shop, ref, orderGids);
  await eraseLookupCustomer(tx, shop, { email: ref.email, phone: ref.phone, orderGids });
  // The Messenger PSIDs the buyer bound to their orders (the opt-in, decision 020).
  await deleteBindingsOfCustomer(tx, shop, ref.customerGid, orderGids);
  for (const id of pushIds) await erasePushCustomerData(tx, id, SKIP_REASONS.customerDataErased, now);
  let orders = 0;
  for (const orderGid of orderGids) orders += await deleteOrder(tx, shop, orderGid);
  if (ref.customerGid) {
    await deleteDataRequestsOfCustomer(tx, shop, ref.customerGid);
    await createAdminAccessStore(tx, null).deleteCustomerPsids(shop, ref.customerGid);
  }
  return { pushes: pushIds.length, orders };
}

/** customers/data_request: records what the app holds of the customer, for the merchant to hand over. */
export async function summarizeCustomerData(
  tx: Sql,
  shop: string,
  payload: CustomersDataRequestPayload,
  now: number,
): Promise<{ pushes: number; orders: number }> {
  const ref = customerRefOf(payload, payload.orders_requested);
  const orderGids = await customerOrderGids(tx, shop, ref);
  const pushIds = await findCustomerPushIds(tx, shop, ref, orderGids);
  const summary = {
    orders: orderGids.length,
    pushes: pushIds.length,
    pushIds,
    orderGids,
    fields: ["order name", "email", "phone", "Messenger PSID", "recipient name", "shipping address", "line items", "JoinChat answers"],
  };
  await insertDataRequest(tx, {
    shop,
    customerGid: ref.customerGid,
    dataRequestId: payload.data_request?.id != null ? String(payload.data_request.id) : null,
    summary,
    receivedAt: now,
  });
  return { pushes: pushIds.length, orders: orderGids.length };
}
