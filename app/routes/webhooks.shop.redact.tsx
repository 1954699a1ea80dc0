import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/shop/redact. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "shop/redact");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "shop/redact");
