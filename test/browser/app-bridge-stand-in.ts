// What the browser test serves in place of App Bridge (https://cdn.shopify.com/shopifycloud/app-bridge.js),
// which cannot be reached here. Like the real script it gives the page a `shopify` global whose idToken() makes a
// session token, adds `Authorization: Bearer <fresh token>` to the app's own fetches (Remix's data requests,
// fetcher submissions), and defines the `ui-*` elements the app uses. Where the admin would draw something
// outside the app's iframe (the save bar, toasts), the stand-in draws it in the page so the test can click and
// read it. Tokens come from the test process (`__standInMintToken`, a Playwright binding), signed with the
// app's secret as Shopify signs them.
export const APP_BRIDGE_URL = "https://cdn.shopify.com/shopifycloud/app-bridge.js";

export const APP_BRIDGE_STAND_IN = String.raw`
(function () {
  if (window.shopify) return;
  var script = document.currentScript;
  var style = document.createElement("style");
  style.textContent = [
    "ui-nav-menu, ui-title-bar { display: none !important; }",
    "ui-save-bar { display: none; }",
    "ui-save-bar[data-open] { display: flex; position: fixed; top: 0; left: 0; right: 0; z-index: 1000; gap: 8px; align-items: center;",
    "  justify-content: flex-end; padding: 10px 16px; background: #303030; box-shadow: 0 2px 6px rgba(0,0,0,.3); }",
    "ui-save-bar[data-open]::before { content: 'Unsaved changes'; color: #fff; margin-right: auto; font: 600 14px system-ui, sans-serif; }",
    "ui-save-bar button { font: 600 13px system-ui, sans-serif; padding: 6px 14px; border-radius: 8px; border: 1px solid #8a8a8a; background: #fff; cursor: pointer; }",
    "ui-save-bar button[variant=primary] { background: #fff; color: #303030; }",
    "#app-bridge-stand-in-toasts { position: fixed; bottom: 24px; left: 50%; transform: translateX(-50%); z-index: 1001; display: flex; flex-direction: column; gap: 8px; }",
    "#app-bridge-stand-in-toasts div { background: #1a1a1a; color: #fff; padding: 10px 16px; border-radius: 8px; font: 14px system-ui, sans-serif; }",
    "#app-bridge-stand-in-toasts div[data-error] { background: #8e1f0b; }",
  ].join("\n");
  document.head.appendChild(style);

  var state = { toasts: [], loading: false, tokens: 0 };
  window.__appBridgeStandIn = state;

  function idToken() {
    state.tokens += 1;
    return window.__standInMintToken();
  }

  function toastBox() {
    var box = document.getElementById("app-bridge-stand-in-toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "app-bridge-stand-in-toasts";
      box.setAttribute("role", "status");
      document.body.appendChild(box);
    }
    return box;
  }

  function saveBar(id) {
    var el = document.getElementById(id);
    if (!el) throw new Error("no ui-save-bar with id " + id);
    return el;
  }

  window.shopify = {
    config: { apiKey: script && script.getAttribute("data-api-key"), locale: new URLSearchParams(location.search).get("locale") || "en" },
    environment: { embedded: true, mobile: false, pos: false },
    idToken: idToken,
    toast: {
      show: function (message, options) {
        var error = Boolean(options && options.isError);
        state.toasts.push({ message: message, isError: error });
        var item = document.createElement("div");
        item.textContent = message;
        if (error) item.setAttribute("data-error", "");
        toastBox().appendChild(item);
        setTimeout(function () { item.remove(); }, (options && options.duration) || 5000);
        return String(state.toasts.length);
      },
      hide: function () {},
    },
    loading: function (on) { state.loading = on === undefined ? true : Boolean(on); },
    saveBar: {
      show: function (id) { return saveBar(id).show(); },
      hide: function (id) { return saveBar(id).hide(); },
      toggle: function (id) { return saveBar(id).toggle(); },
      leaveConfirmation: function () { return Promise.resolve(); },
    },
  };

  customElements.define("ui-save-bar", class extends HTMLElement {
    get showing() { return this.hasAttribute("data-open"); }
    show() { if (!this.showing) { this.setAttribute("data-open", ""); this.dispatchEvent(new CustomEvent("show")); } return Promise.resolve(); }
    hide() { if (this.showing) { this.removeAttribute("data-open"); this.dispatchEvent(new CustomEvent("hide")); } return Promise.resolve(); }
    toggle() { return this.showing ? this.hide() : this.show(); }
  });
  customElements.define("ui-nav-menu", class extends HTMLElement {});
  customElements.define("ui-title-bar", class extends HTMLElement {});

  // The app's own requests carry a fresh session token, as App Bridge adds it.
  var nativeFetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    var href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    var url = new URL(href, location.href);
    if (url.origin !== location.origin) return nativeFetch(input, init);
    var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
    headers.set("Authorization", "Bearer " + (await idToken()));
    if (input instanceof Request) return nativeFetch(new Request(input, Object.assign({}, init, { headers: headers })));
    return nativeFetch(input, Object.assign({}, init, { headers: headers }));
  };

  // Shopify's bounce page (/auth/session-token) asks App Bridge for a token and reloads the app with it.
  if (location.pathname === "/auth/session-token") {
    var target = new URLSearchParams(location.search).get("shopify-reload");
    if (target) {
      idToken().then(function (token) {
        var next = new URL(target, location.href);
        next.searchParams.set("id_token", token);
        location.replace(next.href);
      });
    }
  }
})();
`;
