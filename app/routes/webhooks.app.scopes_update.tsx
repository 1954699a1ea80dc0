import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/app/scopes_update. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "app/scopes_update");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "app/scopes_update");
