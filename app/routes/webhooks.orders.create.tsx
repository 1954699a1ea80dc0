import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/orders/create. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "orders/create");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "orders/create");
