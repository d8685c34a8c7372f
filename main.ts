/**
 * p2pchat's entry point: `p2pchat registry …` or `p2pchat peer …`. Everything
 * about arguments lives in `cli/`; this file only hands over and exits.
 *
 * @module
 */

import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
