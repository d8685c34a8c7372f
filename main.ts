/**
 * p2pchat's entry point: `p2pchat registry …`, `p2pchat peer …` or
 * `p2pchat demo`. Everything about arguments lives in `cli/`; this file only
 * hands over and exits. (It imports `cli/run_cli.ts` rather than the folder's
 * face so that start-up loads only the role that runs.)
 *
 * @module
 */

import { runCli } from "./cli/run_cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
