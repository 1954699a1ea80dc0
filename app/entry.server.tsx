import { PassThrough } from "node:stream";
import { renderToPipeableStream } from "react-dom/server";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { createReadableStreamFromReadable, type EntryContext, type HandleErrorFunction } from "@remix-run/node";
import { isbot } from "isbot";
import { log } from "./logger.server";
import { addDocumentResponseHeaders } from "./shopify.server";

// The production server starts from the Remix build itself (server.mjs), so that the web server, the
// worker and the routes share one copy of every module.
export { startProductionServer } from "./server/production.server";
// npm run worker (worker.mjs): BullMQ delivery workers from the same build.
export { startWorkerProcess } from "./worker/main.server";

export const streamTimeout = 5000;

/**
 * What a loader or action threw, through the app's logger (masked, one JSON line) instead of Remix's console.error,
 * which printed the URL of every unknown path (an email or a phone in it included) and a stack trace.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  const path = new URL(request.url).pathname;
  if (isRouteErrorResponse(error)) log.info("request answered", { status: error.status, path });
  else log.warn("request failed", { path, error });
};

export default async function handleRequest(request: Request, responseStatusCode: number, responseHeaders: Headers, remixContext: EntryContext) {
  addDocumentResponseHeaders(request, responseHeaders);
  const userAgent = request.headers.get("user-agent");
  const callbackName = isbot(userAgent ?? "") ? "onAllReady" : "onShellReady";

  return new Promise((resolve, reject) => {
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      [callbackName]: () => {
        const body = new PassThrough();
        const stream = createReadableStreamFromReadable(body);
        responseHeaders.set("Content-Type", "text/html");
        resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
        pipe(body);
      },
      onShellError(error) {
        reject(error);
      },
      onError(error) {
        responseStatusCode = 500;
        // A route's error response (a 404) was logged by handleError already; anything else through the masked logger.
        if (!isRouteErrorResponse(error)) log.warn("page render failed", { path: new URL(request.url).pathname, error });
      },
    });
    setTimeout(abort, streamTimeout + 1000);
  });
}
