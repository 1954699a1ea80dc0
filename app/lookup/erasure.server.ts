import type { Sql } from "../db/database.server";
import { emailKeyOf, orderNameKey, phoneKeyOf } from "../pushes/lookup-receipt";
import { deleteCatalogueOfShop } from "../stores/catalogue-store.server";
import { deleteLookupLogsOfIdentifiers, deleteLookupLogsOfShop } from "../stores/lookup-log-store.server";
import { deleteLookupOrders, deleteLookupOrdersOfShop, findLookupOrderByGid, findLookupOrderGidsOfContact } from "../stores/lookup-order-store.server";
import { deleteLookupSetupOfShop, readLookupSetup } from "../stores/lookup-setup-store.server";
import { deleteOrderTokensOfOrders, deleteOrderTokensOfShop, readOrderTokenOfOrder } from "../stores/order-token-store.server";
import { identifierHashOf } from "./customer-query.server";

// The compliance topics' part of customer lookups (decision 019).

/** shop/redact: the set-up, tokens, lookup orders, lookup log and catalogue of the shop. */
export async function eraseLookupShop(tx: Sql, shop: string): Promise<void> {
  await deleteLookupLogsOfShop(tx, shop);
  await deleteLookupOrdersOfShop(tx, shop);
  await deleteOrderTokensOfShop(tx, shop);
  await deleteCatalogueOfShop(tx, shop);
  await deleteLookupSetupOfShop(tx, shop);
}

/**
 * customers/redact: the customer's lookup orders and their tokens, and the lookup log's rows of what identifies
 * them (their email and phone, their orders' names, confirmation numbers and tokens). The order count erased.
 */
export async function eraseLookupCustomer(
  tx: Sql,
  shop: string,
  customer: { email: string | null; phone: string | null; orderGids: readonly string[] },
): Promise<number> {
  const emailKey = emailKeyOf(customer.email);
  const phoneKey = phoneKeyOf(customer.phone);
  const orderGids = [...new Set([...customer.orderGids, ...(await findLookupOrderGidsOfContact(tx, shop, emailKey, phoneKey))])];
  const setup = await readLookupSetup(tx, shop);
  if (setup) {
    const identifiers = [emailKey, phoneKey].filter((k): k is string => k !== null).map((k) => `account:${k}`);
    for (const orderGid of orderGids) {
      const row = await findLookupOrderByGid(tx, shop, orderGid);
      if (row) identifiers.push(`order:${row.name_key}`);
      if (row?.confirmation_number) identifiers.push(`order:${orderNameKey(row.confirmation_number)}`);
      const token = await readOrderTokenOfOrder(tx, shop, orderGid);
      if (token) identifiers.push(`order:${token.token}`);
    }
    await deleteLookupLogsOfIdentifiers(
      tx,
      shop,
      identifiers.map((identifier) => identifierHashOf(setup.hash_salt, identifier)),
    );
  }
  await deleteOrderTokensOfOrders(tx, shop, orderGids);
  return deleteLookupOrders(tx, shop, orderGids);
}
