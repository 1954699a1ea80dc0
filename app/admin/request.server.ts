import type { Session } from "@shopify/shopify-app-remix/server";
import { z } from "zod";
import { getRuntime, type Runtime } from "../runtime.server";
import { ShopDomainSchema } from "../settings/settings-schema";
import { authenticate } from "../shopify.server";
import { ActionRefusal, type RefusalCode } from "./refusals.server";

// What every loader and action of the admin starts with: Shopify's authentication (a session token from App
// Bridge, or the id_token of the admin's first load), then the process's runtime (database, services); and how
// every action reads its body.

export interface AdminContext {
  shop: string;
  session: Session;
  runtime: Runtime;
  /** Adds the CORS headers an answer to an admin UI extension (another origin) needs. */
  cors: (response: Response) => Response;
}

export async function adminContext(request: Request): Promise<AdminContext> {
  const { session, cors } = await authenticate.admin(request);
  const runtime = await getRuntime();
  return { shop: session.shop, session, runtime, cors };
}

/** What a buyer-facing block's route starts with (decision 020): the shop and the buyer, from the session token. */
export interface BuyerContext {
  shop: string;
  /** The logged-in buyer's customer GID (the token's `sub`), null for a guest. */
  customerGid: string | null;
  runtime: Runtime;
  cors: (response: Response) => Response;
}

const CUSTOMER_GID = /^gid:\/\/shopify\/Customer\/\d+$/;

/**
 * The session token of a checkout or customer account UI extension (the Thank-you and Order status pages): a JWT
 * signed HS256 with the app's secret (Shopify's library checks the signature and its times, and answers the CORS
 * preflight), for this app (`aud` = the API key, which the library leaves unchecked for these tokens) and for a shop
 * (`dest`, its myshopify.com domain). Anything else is 401 with the CORS headers, so the block can read it.
 */
export async function buyerContext(request: Request): Promise<BuyerContext> {
  const { sessionToken, cors } = await authenticate.public.checkout(request);
  const runtime = await getRuntime();
  const dest = typeof sessionToken.dest === "string" ? sessionToken.dest : "";
  const shop = ShopDomainSchema.safeParse(dest.replace(/^https:\/\//, "").replace(/\/.*$/, ""));
  if (sessionToken.aud !== runtime.env.SHOPIFY_API_KEY || !shop.success) {
    throw cors(new Response(undefined, { status: 401, statusText: "Unauthorized" }));
  }
  const sub = typeof sessionToken.sub === "string" && CUSTOMER_GID.test(sessionToken.sub) ? sessionToken.sub : null;
  return { shop: shop.data, customerGid: sub, runtime, cors };
}

/** One schema per intent, for the fields beside `intent`. */
export type IntentSchemas = Record<string, z.ZodTypeAny>;

/** A body read with IntentSchemas: its intent, and its other fields as that intent's schema gives them. */
export type IntentBody<S extends IntentSchemas> = { [K in keyof S & string]: { intent: K; body: z.output<S[K]> } }[keyof S & string];

export interface ReadActionOptions {
  /** The code of a body whose fields do not parse; default "invalid". A schema's own code (see ConfirmSchema) wins. */
  invalid?: RefusalCode;
}

/**
 * An action's JSON body (a fetcher's encType application/json, or the block's fetch), parsed by `schema`, or by the
 * schema of its `intent` (then the intent is left out of what that schema sees). Throws an ActionRefusal, answered
 * 400 by answerRefusals: `bad_request` for a body that is not a JSON object, `unknown_intent` for a missing or
 * unknown intent, else `options.invalid` with a message per field.
 */
export async function readAction<S extends z.ZodTypeAny>(request: Request, schema: S, options?: ReadActionOptions): Promise<z.output<S>>;
export async function readAction<S extends IntentSchemas>(request: Request, intents: S, options?: ReadActionOptions): Promise<IntentBody<S>>;
export async function readAction(request: Request, schemas: z.ZodTypeAny | IntentSchemas, options: ReadActionOptions = {}): Promise<unknown> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    body = undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ActionRefusal(400, "bad_request", "the body must be a JSON object");
  if (schemas instanceof z.ZodType) return parseFields(schemas, body, options);
  const { intent, ...fields } = body as Record<string, unknown>;
  if (typeof intent !== "string" || !Object.hasOwn(schemas, intent)) {
    throw new ActionRefusal(400, "unknown_intent", `intent must be one of ${Object.keys(schemas).join(", ")}`);
  }
  return { intent, body: parseFields(schemas[intent], fields, options) };
}

/**
 * `confirm: true`, which an action that sends a buyer a message again needs; anything else refuses the body with
 * the code `confirm` rather than the route's code for a wrong field.
 */
export const ConfirmSchema = z.custom<true>((value) => value === true, {
  message: "must be true: the buyer gets the message again",
  params: { refusal: "confirm" satisfies RefusalCode },
});

function parseFields(schema: z.ZodTypeAny, fields: unknown, options: ReadActionOptions): unknown {
  const parsed = schema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const fieldErrors = fieldErrorsOf(parsed.error);
  const own = parsed.error.issues.find((issue) => issue.code === "custom" && typeof issue.params?.refusal === "string");
  const message = Object.entries(fieldErrors)
    .map(([field, text]) => `${field} ${text}`)
    .join("; ");
  throw new ActionRefusal(400, (own?.code === "custom" && own.params?.refusal) || options.invalid || "invalid", message, fieldErrors);
}

/** The first message for each field; a key the schema does not take is a field of its own. */
function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const fields = issue.code === "unrecognized_keys" ? issue.keys : [String(issue.path[0] ?? "input")];
    for (const field of fields) out[field] ??= issue.message;
  }
  return out;
}
