import { Agent, Dispatcher, getGlobalDispatcher, ProxyAgent, setGlobalDispatcher } from "undici";
import type { ShopifyStandIn } from "./standin";

// For app code running inside the test process (the layer's integration tests): Node's fetch goes through a
// global undici dispatcher, and this one sends https://<shop>.myshopify.com through the stand-in's CONNECT proxy,
// trusting its throw-away CA, and everything else (the JoinChat sandbox on 127.0.0.1) the way it went before.
// It is what NODE_USE_ENV_PROXY=1 with HTTPS_PROXY and NO_PROXY does for a child process; no app code changes.

const SHOPIFY_ORIGIN = /^https:\/\/[a-z0-9][a-z0-9-]*\.myshopify\.com(:443)?$/;

class ShopifyRoutingDispatcher extends Dispatcher {
  constructor(
    private readonly proxy: ProxyAgent,
    private readonly direct: Dispatcher,
  ) {
    super();
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const origin = typeof options.origin === "string" ? options.origin : (options.origin?.origin ?? "");
    return (SHOPIFY_ORIGIN.test(origin) ? this.proxy : this.direct).dispatch(options, handler);
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }

  async destroy(): Promise<void> {
    await this.proxy.destroy();
  }
}

/** Routes this process's fetches to *.myshopify.com through the stand-in; the returned function undoes it. */
export function routeShopifyFetch(standIn: ShopifyStandIn): () => Promise<void> {
  return route(new ProxyAgent({ uri: standIn.proxyUrl, requestTls: { ca: standIn.caPem } }));
}

/** This process's fetches to *.myshopify.com fail at once (a proxy where nothing listens): no test reaches Shopify. */
export function refuseShopifyFetch(): () => Promise<void> {
  return route(new ProxyAgent({ uri: "http://127.0.0.1:9" }));
}

function route(proxy: ProxyAgent): () => Promise<void> {
  const previous = getGlobalDispatcher();
  setGlobalDispatcher(new ShopifyRoutingDispatcher(proxy, previous ?? new Agent()));
  return async () => {
    setGlobalDispatcher(previous);
    // destroy, not close: a request the stand-in was told never to answer would hold close() forever.
    await proxy.destroy();
  };
}
