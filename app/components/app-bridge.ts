// The parts of App Bridge's `shopify` global the admin uses, reached without throwing when the script is
// missing (a page opened outside the Shopify admin): a toast and the admin's loading bar.
interface AppBridgeGlobal {
  toast?: { show(message: string, options?: { isError?: boolean; duration?: number }): void };
  loading?: (on: boolean) => void;
}

export function appBridge(): AppBridgeGlobal | undefined {
  if (typeof window === "undefined") return undefined;
  return (window as unknown as { shopify?: AppBridgeGlobal }).shopify;
}

export function showToast(message: string, isError = false): void {
  try {
    appBridge()?.toast?.show(message, isError ? { isError: true } : undefined);
  } catch {
    // App Bridge not ready: the page shows the outcome itself.
  }
}
