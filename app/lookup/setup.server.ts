import { randomBytes, randomInt } from "node:crypto";
import type { Sql } from "../db/database.server";
import { insertLookupSetupIfMissing, readLookupSetup, replaceLookupKey, setLookupSwitches, type LookupSetupRow } from "../stores/lookup-setup-store.server";
import { readOrderTokenOfOrder, upsertOrderToken } from "../stores/order-token-store.server";

// A shop's customer-lookup set-up (decision 019): the unguessable key of its lookup URL, issued on first need and
// replaced on request, the privacy switches, and the per-order lookup tokens the app gives buyers.

/** The path of every lookup URL, before the shop's key. */
export const LOOKUP_PATH_PREFIX = "/joinchat/lookup/";

/** 32 random bytes, base64url: 43 characters nobody guesses. */
export function newLookupKey(): string {
  return randomBytes(32).toString("base64url");
}

export function isLookupKeyShape(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** The shop's set-up, created (with a new key) when it has none. */
export async function ensureLookupSetup(sql: Sql, shop: string, now = Date.now()): Promise<LookupSetupRow> {
  return (await readLookupSetup(sql, shop)) ?? insertLookupSetupIfMissing(sql, shop, newLookupKey(), randomBytes(32).toString("base64url"), now);
}

export function lookupUrlOf(appUrl: string, key: string): string {
  return `${appUrl.replace(/\/+$/, "")}${LOOKUP_PATH_PREFIX}${key}`;
}

/** The shop's lookup URL under the app's public URL (a key is issued when the shop has none). */
export async function shopLookupUrl(sql: Sql, shop: string, appUrl: string): Promise<string> {
  return lookupUrlOf(appUrl, (await ensureLookupSetup(sql, shop)).lookup_key);
}

/** Issues a new key: the old URL answers 404 from now on. The new URL. */
export async function rotateLookupKey(sql: Sql, shop: string, appUrl: string, now = Date.now()): Promise<string> {
  await ensureLookupSetup(sql, shop, now);
  const key = newLookupKey();
  await replaceLookupKey(sql, shop, key, now);
  return lookupUrlOf(appUrl, key);
}

export interface LookupSwitches {
  /** A plain order name (#1001) answers `order_number` (default off: names are sequential and guessable). */
  allowOrderName?: boolean;
  /** Full receipts for every lookup, not only a lookup token's (default off). */
  fullReceipts?: boolean;
}

export async function updateLookupSwitches(sql: Sql, shop: string, switches: LookupSwitches, now = Date.now()): Promise<LookupSetupRow> {
  await ensureLookupSetup(sql, shop, now);
  await setLookupSwitches(sql, shop, switches, now);
  const row = await readLookupSetup(sql, shop);
  if (!row) throw new Error(`lookup set-up of ${shop} missing`);
  return row;
}

/** How long an order's lookup token is valid by default. */
export const ORDER_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

// No 0/o, 1/l/i: a buyer may have to type it.
const TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
const TOKEN_LENGTH = 12;

/** 12 characters of a 31-letter alphabet: about 59 bits, behind the per-identifier rate limit. */
export function newOrderToken(): string {
  let token = "";
  for (let i = 0; i < TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}

export function isOrderTokenShape(value: string): boolean {
  return value.length === TOKEN_LENGTH && [...value].every((c) => TOKEN_ALPHABET.includes(c));
}

/**
 * The order's lookup token: the same one while it is valid, a new one (valid `ttlMs`) once it expired. For the links
 * the app gives buyers (and issue 16's Messenger `ref`).
 */
export async function issueOrderToken(
  sql: Sql,
  shop: string,
  orderGid: string,
  options: { now?: number; ttlMs?: number } = {},
): Promise<{ token: string; expiresAt: number; issued: boolean }> {
  const now = options.now ?? Date.now();
  const current = await readOrderTokenOfOrder(sql, shop, orderGid);
  if (current && current.expires_at > now) return { token: current.token, expiresAt: current.expires_at, issued: false };
  const fresh = newOrderToken();
  const row = await upsertOrderToken(sql, shop, orderGid, fresh, now + (options.ttlMs ?? ORDER_TOKEN_TTL_MS), now);
  // `issued`: this call gave the order a new token (another caller's at the same moment is not counted twice).
  return { token: row.token, expiresAt: row.expires_at, issued: row.token === fresh };
}
