/** `p2pchat demo`: a living registry, dashboard and peers in one command. */

import { runClusterDemo, runDemo } from "../demo/mod.ts";
import { createLogger } from "../log/mod.ts";
import { type FlagSpec, formatFlags, hostPortFlag, parseFlags } from "./flags.ts";
import { onShutdownSignal, printLine } from "./process.ts";

const FLAGS: FlagSpec[] = [
  {
    name: "listen",
    type: "string",
    value: "HOST:PORT",
    help: "registry address (a free port if taken)",
    defaultText: "127.0.0.1:7070",
  },
  {
    name: "dashboard",
    type: "string",
    value: "HOST:PORT",
    help: "dashboard address (a free port if taken)",
    defaultText: "127.0.0.1:7080",
  },
  {
    name: "cluster",
    type: "boolean",
    help: "three registry instances on a throwaway Redis; one is killed and revived each minute",
  },
  { name: "help", short: "h", type: "boolean", help: "show this help" },
];

/** `--help` text for the demo. */
export const DEMO_USAGE = `Usage: p2pchat demo [flags]

Starts a registry with its dashboard and three peers (ada, grace, linus) that
chat now and then. Every 20 s linus's network goes silent for 10 s, its
connection left open: watch its heartbeat age turn late for a few seconds,
the eviction, and its reconnect count go up when it is back.
Ctrl-C stops everything.

With --cluster it starts redis-server (it must be installed) and three
registry instances sharing their peer table on it, each with its dashboard
(--listen and --dashboard give the first one's ports; the others take the
next), and six peers spread over them. Every minute one instance is killed
with SIGKILL and revived 20 s later: its peers move to the others, and nobody
sees them leave.

Flags:
${formatFlags(FLAGS)}`;

/** Runs the demo until Ctrl-C. */
export async function runDemoCommand(args: string[]): Promise<number> {
  // The demo takes no settings from the environment: it must look the same everywhere.
  const flags = parseFlags(args, FLAGS, {});
  if (flags.help) {
    printLine(DEMO_USAGE);
    return 0;
  }
  const stop = new AbortController();
  void onShutdownSignal().then(() => stop.abort());
  const settings = {
    registry: typeof flags.listen === "string"
      ? hostPortFlag("listen", flags.listen, "127.0.0.1")
      : { hostname: "127.0.0.1", port: 7070 },
    dashboard: typeof flags.dashboard === "string"
      ? hostPortFlag("dashboard", flags.dashboard, "127.0.0.1")
      : { hostname: "127.0.0.1", port: 7080 },
    print: printLine,
    logger: createLogger({ level: "warn" }),
    signal: stop.signal,
  };
  if (flags.cluster === true) {
    const status = await runClusterDemo(settings);
    if (status === 0) printLine("demo stopped");
    return status;
  }
  await runDemo(settings);
  printLine("demo stopped");
  return 0;
}
