// The layers of app/ (docs/architecture.md), as eslint.config.js enforces them with import-x/no-restricted-paths.
// Each entry is a part of app/ (a folder or a file). A part may import the parts of its own layer and of the layers
// below it, never a part of a layer above. The pure parts beside the layers may be imported from anywhere and import
// only what PURE_IMPORTS lets them.

/** Top to bottom. */
export const APP_LAYERS = [
  {
    name: "entry points and composition",
    parts: [
      "routes",
      "admin",
      "components",
      "cli",
      "server",
      "worker",
      "runtime.server.ts",
      "env.server.ts",
      "shopify.server.ts",
      "db.server.ts",
      "root.tsx",
      "entry.server.tsx",
    ],
  },
  { name: "webhook intake and customer lookups", parts: ["webhooks", "lookup"] },
  { name: "delivery and the push services", parts: ["delivery"] },
  { name: "clients and the settings service", parts: ["joinchat", "shopify", "settings"] },
  { name: "stores (one per table)", parts: ["stores"] },
  { name: "database drivers", parts: ["db"] },
];

/**
 * Beside the layers: the pure mapping and shared vocabulary (pushes), the messages (i18n), the logger and the HMAC
 * helper. Any layer may import them.
 */
export const PURE_PARTS = ["pushes", "i18n", "logger.server.ts", "hmac.ts"];

/** What the pure push mapping may import besides itself: Shopify's payload types and the settings' shape. */
export const PURE_IMPORTS = ["shopify/payloads.ts", "shopify/lossless-json.ts", "settings/shop-settings.ts"];

/**
 * Files that sit in a lower folder but serve the entry points, so they may import them: the Remix webhook routes'
 * handler reaches the process's runtime.
 */
export const ENTRY_ADAPTERS = ["webhooks/remix-route.server.ts"];

/** import-x/no-restricted-paths zones for these layers (paths relative to the repository). */
export function layerZones(layers = APP_LAYERS) {
  const zones = [];
  layers.forEach((layer, i) => {
    const above = layers.slice(0, i).flatMap((l) => l.parts);
    if (above.length === 0) return;
    for (const part of layer.parts) {
      const adapters = ENTRY_ADAPTERS.filter((a) => a.startsWith(`${part}/`));
      const target = adapters.length > 0 ? `app/${part}/!(${adapters.map((a) => a.slice(part.length + 1)).join("|")})` : `app/${part}`;
      zones.push({
        target,
        from: above.map((p) => `app/${p}`),
        message: `app/${part} is in the layer "${layer.name}": it may import only its own layer and those below it (docs/architecture.md).`,
      });
    }
  });
  for (const adapter of ENTRY_ADAPTERS) {
    const layer = layers.findIndex((l) => l.parts.some((p) => adapter.startsWith(`${p}/`)));
    const between = layers.slice(1, layer).flatMap((l) => l.parts);
    if (between.length === 0) continue;
    zones.push({
      target: `app/${adapter}`,
      from: between.map((p) => `app/${p}`),
      message: "a Remix route adapter may reach the runtime, not the layers between it and its own",
    });
  }
  zones.push({
    target: "app/pushes",
    from: "app",
    except: ["./pushes", ...PURE_IMPORTS.map((p) => `./${p}`)],
    message: "app/pushes is the pure mapping: it imports only itself, Shopify's payload types and the settings' shape (docs/architecture.md).",
  });
  for (const part of PURE_PARTS.filter((p) => p !== "pushes")) {
    zones.push({
      target: `app/${part}`,
      from: layers.flatMap((l) => l.parts).map((p) => `app/${p}`),
      message: `app/${part} is usable from every layer, so it imports none of them (docs/architecture.md).`,
    });
  }
  return zones;
}
