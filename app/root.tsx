import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError, useRouteLoaderData } from "@remix-run/react";

export default function App() {
  // The admin's language, once the app layout has resolved it (routes/app.tsx).
  const lang = useRouteLoaderData<{ locale?: string }>("routes/app")?.locale ?? "en";
  return (
    <html lang={lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <link rel="preconnect" href="https://cdn.shopify.com/" />
        <link rel="stylesheet" href="https://cdn.shopify.com/static/fonts/inter/v4/styles.css" />
        <Meta />
        <Links />
      </head>
      <body>
        <Outlet />
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

/**
 * What reaches the root (an unknown path, an error outside the admin's pages): its status, and nothing printed. Remix's
 * default boundary wrote the error, the URL of every unknown path with it, to the console unmasked; handleError
 * (entry.server.tsx) logs it through the app's logger instead.
 */
export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : "Application Error";
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>{title}</title>
        <Meta />
        <Links />
      </head>
      <body>
        <h1 style={{ fontFamily: "system-ui, sans-serif", fontSize: "1.5rem" }}>{title}</h1>
        <Scripts />
      </body>
    </html>
  );
}
