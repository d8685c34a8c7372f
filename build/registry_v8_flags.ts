/**
 * The V8 flags the registry process runs with, written once: in deno.json's
 * `registry` task. `deno task compile` bakes them into p2pchat-registry and
 * the benchmarks start their registry with them, so what is measured is
 * what runs. They must be given when the process starts (`--v8-flags` or
 * `DENO_V8_FLAGS`): V8 sizes its heap before any script runs, and
 * `v8.setFlagsFromString` afterwards does not change it.
 *
 * `--max-semi-space-size=1` caps the young generation at 2 MiB (V8 sizes it
 * from the machine's memory: 64 MiB on a 24 GiB host). A registry's
 * garbage is short-lived (a frame, its JSON, the answer), and a large young
 * generation only keeps dead buffers (and the allocator's memory under them)
 * alive longer; at 10,000 peers it was a sixth of the resident memory.
 */

import config from "../deno.json" with { type: "json" };

/** The flags of `--v8-flags=…` in the `registry` task, e.g. `["--max-semi-space-size=1"]`. */
export function registryV8Flags(): string[] {
  const flags = config.tasks.registry.match(/--v8-flags=(\S+)/)?.[1];
  return flags ? flags.split(",") : [];
}
