import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/products/delete. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "products/delete");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "products/delete");
