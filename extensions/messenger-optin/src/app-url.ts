// Where the app answers: a checkout or customer account extension runs on Shopify's origin and must fetch the app by
// its full URL. The same as shopify.app.toml's application_url (a test holds them together): change both when the
// app moves, then deploy (npm run deploy).
export const APP_URL = "https://example.com";
