import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleWebhookRoute } from "../admin/webhook-route.server";

// POST /webhooks/app/uninstalled. In production the lean path in front of Remix answers first (app/server).
export const action = ({ request }: ActionFunctionArgs) => handleWebhookRoute(request, "app/uninstalled");
export const loader = ({ request }: LoaderFunctionArgs) => handleWebhookRoute(request, "app/uninstalled");
