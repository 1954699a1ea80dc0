import { json } from "@remix-run/node";
import type { Session } from "@shopify/shopify-app-remix/server";
import { getRuntime, type Runtime } from "../runtime.server";
import { authenticate } from "../shopify.server";

// What every loader and action of the admin starts with: Shopify's authentication (a session token from App
// Bridge, or the id_token of the admin's first load), then the process's runtime (database, services).

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

/** The JSON object an admin form posted (fetcher.submit with encType application/json); 400 otherwise. */
export async function readJsonBody(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw json({ ok: false, error: "bad_request" }, { status: 400 });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw json({ ok: false, error: "bad_request" }, { status: 400 });
  return body as Record<string, unknown>;
}

/** The body's `intent`, one of `allowed`; 400 otherwise. */
export function intentOf<T extends string>(body: Record<string, unknown>, allowed: readonly T[]): T {
  const intent = body.intent;
  if (typeof intent !== "string" || !(allowed as readonly string[]).includes(intent)) {
    throw json({ ok: false, error: "unknown_intent" }, { status: 400 });
  }
  return intent as T;
}
