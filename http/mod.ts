/**
 * HTTP plumbing shared by the registry's dashboard and a peer's web UI:
 * serving an app with live streams that end on shutdown, the Host check,
 * tokens compared in constant time, security headers, and the icon. It knows
 * nothing of registries or peers.
 *
 * @module
 */

export { AppServer, type AppServerOptions, type RequestHandler } from "./app_server.ts";
export {
  bearerToken,
  hostChecker,
  newToken,
  presentedSecret,
  SECURITY_HEADERS,
  tokenMatches,
} from "./security.ts";
export { FAVICON_SVG } from "./favicon.ts";
