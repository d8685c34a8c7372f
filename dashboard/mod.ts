/**
 * The registry's admin dashboard: a live web page (server-rendered with
 * Preact, kept current over server-sent events that resume from their last
 * ID), a chart of the last hour and a heartbeat sparkline per peer (SVG drawn
 * here), a JSON API, Prometheus metrics and a health check. It reads the
 * registry only through `RegistryView`; the one action it takes, kicking a
 * peer, needs the admin token, and beyond loopback reading needs the admin or
 * the read token. Every asset is served from here: no CDN, works offline and
 * inside the compiled executable.
 *
 * @module
 */

export { Dashboard, type DashboardOptions } from "./dashboard_server.ts";
export {
  createDashboardApp,
  type DashboardAppOptions,
  DEFAULT_MAX_LIVE_STREAMS,
} from "./dashboard_app.tsx";
// Admin tokens and Host checks come from http/; re-exported as the dashboard's.
export { hostChecker, newToken as generateAdminToken, tokenMatches } from "../http/mod.ts";
export { type DashboardCounters, type MetricsOptions, renderMetrics } from "./metrics.ts";
export type { PeerJson } from "./api_shapes.ts";
