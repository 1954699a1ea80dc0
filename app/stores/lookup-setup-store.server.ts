import type { Sql } from "../db/database.server";

// Table lookup_setup: per shop, the unguessable key in its customer-lookup URL, the privacy switches and when
// JoinChat's set-up check (`test`) last came (decision 019). Every statement on it is here.

export interface LookupSetupRow {
  shop: string;
  lookup_key: string;
  hash_salt: string;
  allow_order_name: number;
  full_receipts: number;
  last_test_at: number | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = "shop, lookup_key, hash_salt, allow_order_name, full_receipts, last_test_at, created_at, updated_at";

function normalize(row: LookupSetupRow | undefined): LookupSetupRow | undefined {
  if (!row) return undefined;
  return {
    ...row,
    allow_order_name: Number(row.allow_order_name),
    full_receipts: Number(row.full_receipts),
    last_test_at: row.last_test_at === null ? null : Number(row.last_test_at),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

export async function readLookupSetup(sql: Sql, shop: string): Promise<LookupSetupRow | undefined> {
  return normalize(await sql.get<LookupSetupRow>(`SELECT ${COLUMNS} FROM lookup_setup WHERE shop = ?`, [shop]));
}

export async function readLookupSetupByKey(sql: Sql, key: string): Promise<LookupSetupRow | undefined> {
  return normalize(await sql.get<LookupSetupRow>(`SELECT ${COLUMNS} FROM lookup_setup WHERE lookup_key = ?`, [key]));
}

/** Creates the shop's row with `key` and `salt` unless it has one; the row as it is afterwards. */
export async function insertLookupSetupIfMissing(sql: Sql, shop: string, key: string, salt: string, now: number): Promise<LookupSetupRow> {
  await sql.run(`INSERT INTO lookup_setup (shop, lookup_key, hash_salt, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop) DO NOTHING`, [
    shop,
    key,
    salt,
    now,
    now,
  ]);
  const row = await readLookupSetup(sql, shop);
  if (!row) throw new Error(`lookup_setup of ${shop} missing after insert`);
  return row;
}

/** Replaces the shop's key (the old one stops answering at once); false when the shop has no row. */
export async function replaceLookupKey(sql: Sql, shop: string, key: string, now: number): Promise<boolean> {
  return (await sql.run("UPDATE lookup_setup SET lookup_key = ?, updated_at = ? WHERE shop = ?", [key, now, shop])).changes === 1;
}

export async function setLookupSwitches(sql: Sql, shop: string, switches: { allowOrderName?: boolean; fullReceipts?: boolean }, now: number): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (switches.allowOrderName !== undefined) {
    sets.push("allow_order_name = ?");
    params.push(switches.allowOrderName ? 1 : 0);
  }
  if (switches.fullReceipts !== undefined) {
    sets.push("full_receipts = ?");
    params.push(switches.fullReceipts ? 1 : 0);
  }
  if (sets.length === 0) return;
  await sql.run(`UPDATE lookup_setup SET ${sets.join(", ")}, updated_at = ? WHERE shop = ?`, [...params, now, shop]);
}

export async function recordLookupTest(sql: Sql, shop: string, now: number): Promise<void> {
  await sql.run("UPDATE lookup_setup SET last_test_at = ? WHERE shop = ?", [now, shop]);
}

export async function deleteLookupSetupOfShop(sql: Sql, shop: string): Promise<void> {
  await sql.run("DELETE FROM lookup_setup WHERE shop = ?", [shop]);
}
