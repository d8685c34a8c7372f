/**
 * The demo: a registry, its dashboard and three chatting peers in one
 * process, one of them on a link that drops out now and then.
 *
 * @module
 */

export { type DemoOptions, runDemo } from "./demo.ts";
export { type Capture, FlakyProxy, type FlakyProxyOptions } from "./flaky_proxy.ts";
