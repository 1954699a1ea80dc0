import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/fulfillments/create. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "fulfillments/create");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "fulfillments/create");
