import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/customers/data_request. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "customers/data_request");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "customers/data_request");
