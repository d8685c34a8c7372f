/**
 * Runs a registry in its own process for benchmarks, with options the
 * command line does not offer (limits raised for load from one IP). It
 * prints one JSON line when listening and answers `stats` on stdin with its
 * counters and memory, so the load generator never shares its event loop.
 *
 * Usage: deno run -A bench/registry_host.ts '{"heartbeatMs":1000,...}'
 */

import { Registry, type RegistryOptions } from "../registry/mod.ts";
import { getHeapSpaceStatistics } from "node:v8";
import { readLines } from "../streams/mod.ts";

const options: RegistryOptions = JSON.parse(Deno.args[0] ?? "{}");
const registry = await Registry.start({ listen: { hostname: "127.0.0.1", port: 0 }, ...options });
const encoder = new TextEncoder();
const say = (value: unknown) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
say({ listening: registry.info().listen });

for await (const line of readLines(Deno.stdin.readable)) {
  const command = line.trim();
  if (command === "stats") {
    // V8's spaces too: which of them holds memory the heap does not use.
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((space) => [space.space_name, {
        size: space.space_size,
        used: space.space_used_size,
      }]),
    );
    say({ ...Deno.memoryUsage(), spaces, stats: registry.stats() });
  } else if (command === "gc") {
    // Lets the heap settle before a memory reading, when V8 allows it: the
    // full collection V8 makes under memory pressure (and its memory reducer
    // when the process is idle), which compacts the old space and gives its
    // empty pages back, not only the one that marks and sweeps.
    (globalThis as { gc?: (options: object) => void }).gc?.({
      type: "major",
      execution: "sync",
      flavor: "last-resort",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    say({ gc: true });
  } else if (command.startsWith("heap ")) {
    // For finding what a registered peer costs: a V8 heap snapshot.
    const { writeHeapSnapshot } = await import("node:v8");
    say({ heap: writeHeapSnapshot(command.slice(5)) });
  } else if (command === "quit") {
    await registry.shutdown();
    Deno.exit(0);
  }
}
await registry.shutdown();
