/**
 * A tiny TCP probe the NAT lab self-tests run inside namespaces, to see what
 * a NAT does to connections:
 *
 * - `observe HOST PORT…` listens on each port and answers every connection
 *   with one JSON line, `{"seen":{"hostname","port"}}`: the source address as
 *   this side observes it (after any NAT). Prints `listening` when ready.
 * - `dial [--local-port P] [--timeout-ms N] HOST:PORT…` connects to every
 *   target at once (all from local port P when given: `node:net` can choose
 *   it, `Deno.connect` cannot) and prints one JSON line per target, in order:
 *   `{"target","seen":{…}}` or `{"target","error":"timeout"|CODE}`.
 */

import net from "node:net";
import { parseArgs } from "node:util";
import { waitAtMost } from "../../async/mod.ts";
import type { LabHost, NatLab } from "./nat_lab.ts";
import type { RoleProcess } from "./processes.ts";

const PROBE = new URL(import.meta.url).pathname;

/** Starts `observe` on `host` (its own address) for `ports`; resolves once it listens. */
export async function observeOn(
  lab: NatLab,
  host: LabHost,
  ports: number[],
): Promise<RoleProcess> {
  const probe = lab.spawn(host, Deno.execPath(), [
    "run",
    "--allow-net",
    PROBE,
    "observe",
    host.address,
    ...ports.map(String),
  ]);
  await probe.waitForLine(/^listening$/, 0, 10_000);
  return probe;
}

/** Dials `targets` from `host` (from `localPort` when given); one result per target. */
export async function dialFrom(
  lab: NatLab,
  host: LabHost,
  targets: string[],
  options: { localPort?: number; timeoutMs?: number } = {},
): Promise<DialResult[]> {
  const args = [
    "run",
    "--allow-net",
    PROBE,
    "dial",
    "--timeout-ms",
    String(options.timeoutMs ?? 2000),
  ];
  if (options.localPort !== undefined) args.push("--local-port", String(options.localPort));
  const output = await lab.exec(host, Deno.execPath(), [...args, ...targets]);
  return output.trim().split("\n").map((line) => JSON.parse(line));
}

interface Seen {
  hostname: string;
  port: number;
}

/** One dial's outcome, as printed. */
export type DialResult = { target: string; seen: Seen } | { target: string; error: string };

async function observe(hostname: string, ports: number[]): Promise<void> {
  const listeners = ports.map((port) => Deno.listen({ hostname, port }));
  console.log("listening");
  await Promise.all(listeners.map(async (listener) => {
    for await (const conn of listener) answer(conn);
  }));
}

async function answer(conn: Deno.TcpConn): Promise<void> {
  const { hostname, port } = conn.remoteAddr;
  try {
    await conn.write(new TextEncoder().encode(JSON.stringify({ seen: { hostname, port } }) + "\n"));
    // Held open until the dialler closes, so its mapping stays in use while
    // it dials its other targets.
    const buffer = new Uint8Array(64);
    while ((await conn.read(buffer)) !== null) { /* discard */ }
  } catch {
    // the dialler went away; nothing to answer
  } finally {
    conn.close();
  }
}

async function dialOne(
  target: string,
  localPort: number | undefined,
  timeoutMs: number,
): Promise<{ result: DialResult; socket: net.Socket }> {
  const colon = target.lastIndexOf(":");
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const socket = net.connect(localPort === undefined ? { host, port } : { host, port, localPort });
  let result: DialResult | undefined;
  let text = "";
  const settled = new Promise<void>((resolve) => {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const newline = text.indexOf("\n");
      if (newline < 0) return;
      result ??= { target, seen: JSON.parse(text.slice(0, newline)).seen };
      resolve();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      result ??= { target, error: error.code ?? error.message };
      resolve();
    });
  });
  await waitAtMost(settled, timeoutMs);
  socket.removeAllListeners("data");
  return { result: result ?? { target, error: "timeout" }, socket };
}

async function dial(targets: string[], localPort: number | undefined, timeoutMs: number) {
  const outcomes = await Promise.all(targets.map((t) => dialOne(t, localPort, timeoutMs)));
  for (const { result } of outcomes) console.log(JSON.stringify(result));
  for (const { socket } of outcomes) socket.destroy();
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode === "observe") {
    const [hostname, ...ports] = rest;
    await observe(hostname, ports.map(Number));
  } else if (mode === "dial") {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { "local-port": { type: "string" }, "timeout-ms": { type: "string" } },
      allowPositionals: true,
    });
    const localPort = values["local-port"] === undefined ? undefined : Number(values["local-port"]);
    await dial(positionals, localPort, Number(values["timeout-ms"] ?? 2000));
  } else {
    console.error("usage: lab_probe.ts observe HOST PORT… | dial [--local-port P] HOST:PORT…");
    Deno.exit(2);
  }
}
