// The extensions' tests run in jsdom, which puts its own URL and text encoding classes on the global object. The
// app-side helpers these tests start (the production server, the JoinChat sandbox, session tokens signed with jose)
// are Node code that hands these objects to Node's own APIs (fileURLToPath, http, crypto), which take only
// Node's: give the global back Node's classes. The DOM itself stays jsdom's.
import { URL as NodeURL, URLSearchParams as NodeURLSearchParams } from "node:url";
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from "node:util";

globalThis.URL = NodeURL as unknown as typeof URL;
globalThis.URLSearchParams = NodeURLSearchParams as unknown as typeof URLSearchParams;
globalThis.TextEncoder = NodeTextEncoder as unknown as typeof TextEncoder;
globalThis.TextDecoder = NodeTextDecoder as unknown as typeof TextDecoder;
