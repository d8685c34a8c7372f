/**
 * The demo: a registry, its dashboard and three chatting peers in one
 * process, one of them on a link that drops out now and then — or, with
 * `--cluster`, three registry instances on a throwaway Redis, one of them
 * killed and revived every minute.
 *
 * @module
 */

export { DEMO_TIMING, type DemoOptions, type DemoTiming, runDemo } from "./demo.ts";
export { type ClusterDemoOptions, runClusterDemo } from "./cluster_demo.ts";
export { type Capture, FlakyProxy, type FlakyProxyOptions } from "./flaky_proxy.ts";
export { RedisServer, redisServerAvailable } from "./redis_server.ts";
