import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/products/create. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "products/create");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "products/create");
