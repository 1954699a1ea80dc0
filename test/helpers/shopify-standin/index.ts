export { startShopifyStandIn, STANDIN_API_KEY, STANDIN_API_SECRET, unreachableShopifyEnv } from "./standin";
export type { OfflineTokens, QueuedAnswer, ShopifyStandIn, StandInCall, StandInShop } from "./standin";
export type { StandInAddress, StandInCustomer, StandInLineItem, StandInOrder, StandInProduct, StandInVariant } from "./admin-graphql";
export { refuseShopifyFetch, routeShopifyFetch } from "./fetch-routing";
