/**
 * Picks the role from the first argument and runs it. Each role's code is
 * loaded only when that role runs, so starting a registry does not pay for
 * the terminal chat or the dashboard it was told not to serve.
 */

import { APP_VERSION } from "../protocol/mod.ts";
import { UsageError } from "./flags.ts";
import { printError, printLine } from "./process.ts";

/** Top-level `--help` text. */
export const MAIN_USAGE =
  `p2pchat ${APP_VERSION} — chat where peers talk directly, found through a registry

Usage:
  p2pchat registry [flags]         run the registry (see p2pchat registry --help)
  p2pchat peer --name NAME [flags] join the chat   (see p2pchat peer --help)
  p2pchat demo                     registry, dashboard and three chatting peers
  p2pchat --version`;

interface Role {
  run(args: string[]): Promise<number>;
  usage: string;
}

const ROLES: Record<string, () => Promise<Role>> = {
  registry: async () => {
    const { runRegistry, REGISTRY_USAGE } = await import("./registry_command.ts");
    return { run: runRegistry, usage: REGISTRY_USAGE };
  },
  peer: async () => {
    const { runPeer, PEER_USAGE } = await import("./peer_command.ts");
    return { run: runPeer, usage: PEER_USAGE };
  },
  demo: async () => {
    const { runDemoCommand, DEMO_USAGE } = await import("./demo_command.ts");
    return { run: runDemoCommand, usage: DEMO_USAGE };
  },
};

/** Runs the command line `args` (without the program name); returns the exit status. */
export async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const load = name === undefined ? undefined : ROLES[name];
  const role = load ? await load() : undefined;
  try {
    if (role) return await role.run(rest);
    switch (name) {
      case "--version":
      case "version":
        printLine(`p2pchat ${APP_VERSION}`);
        return 0;
      case "--help":
      case "-h":
      case "help":
        printLine(MAIN_USAGE);
        return 0;
      case undefined:
        throw new UsageError("Missing role: registry, peer or demo");
      default:
        throw new UsageError(`Unknown role ${JSON.stringify(name)}: use registry, peer or demo`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`error: ${error.message}\n\n${role?.usage ?? MAIN_USAGE}`);
    return 2;
  }
}
