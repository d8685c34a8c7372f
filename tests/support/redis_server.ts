/**
 * Real Redis servers for the cluster tests: each test starts its own on a
 * free loopback port with a temp directory and no persistence, and stops it.
 * The same runner serves `deno task demo --cluster`, so it lives in demo/.
 */

export { RedisServer, redisServerAvailable } from "../../demo/mod.ts";
