/// <reference lib="deno.worker" />
/**
 * Hosts peers that run the real reconnect logic (RegistryClient: backoff
 * with jitter, re-registration, moving between cluster instances) but
 * nothing else, for the restart and failover benchmarks. Counts connection
 * attempts made after `mark`, and the departures the peers were told of.
 */

import { Identity, PeerDirectory, RegistryClient } from "../../peer/mod.ts";
import type { HostPort } from "../../protocol/mod.ts";

/** Requests the restart worker understands. */
export type RestartRequest =
  /**
   * Starts `count` clients. With several registries, client i lists them
   * starting at i modulo their number, so the clients spread evenly.
   */
  | { op: "start"; registries: HostPort[]; count: number }
  | { op: "waitRegistered"; sessions: number; timeoutMs: number }
  /** Starts counting; with `on`, only the clients registered there now are waited for. */
  | { op: "mark"; on?: string }
  | { op: "stop" };

interface Client {
  client: RegistryClient;
  sessions: number;
  registeredAt: number;
  /** Where it registered last (`HOST:PORT`). */
  registry: string;
}

const clients: Client[] = [];
let attemptsSinceMark = 0;
/** Peers reported leaving, summed over every client, since `mark`. */
let leavesSinceMark = 0;
let marked = false;
/** The clients `waitRegistered` waits for (all, or those that must move). */
let watched: Client[] = clients;

async function handle(request: RestartRequest): Promise<Record<string, number>> {
  switch (request.op) {
    case "start": {
      const prefix = crypto.randomUUID().slice(0, 6);
      for (let i = 0; i < request.count; i++) {
        const identity = await Identity.generate();
        const entry: Client = {
          client: undefined as unknown as RegistryClient,
          sessions: 0,
          registeredAt: 0,
          registry: "",
        };
        const first = i % request.registries.length;
        entry.client = new RegistryClient({
          registries: [...request.registries.slice(first), ...request.registries.slice(0, first)],
          identity,
          name: `r${prefix}-${i}`,
          directory: new PeerDirectory(identity.id),
          listenPort: 9,
          handler: {
            registered: ({ registry }) => {
              entry.sessions++;
              entry.registry = registry;
              entry.registeredAt = performance.timeOrigin + performance.now();
              if (marked) attemptsSinceMark++; // the attempt that succeeded
            },
            peersChanged: (changes) => {
              if (!marked) return;
              for (const change of changes) if (change.kind === "left") leavesSinceMark++;
            },
            // The crash ("lost", once per client; subtracted below), then one
            // "retry" per failed attempt.
            lost: () => {
              if (marked) attemptsSinceMark++;
            },
            retry: () => {
              if (marked) attemptsSinceMark++;
            },
            refused: () => true,
            kicked: () => {},
          },
        });
        entry.client.start();
        clients.push(entry);
      }
      return { started: clients.length };
    }
    case "waitRegistered": {
      const waiting = watched;
      const deadline = performance.now() + request.timeoutMs;
      while (waiting.some((c) => c.sessions < request.sessions) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const done = waiting.filter((c) => c.sessions >= request.sessions);
      return {
        waiting: waiting.length,
        registered: done.length,
        lastRegisteredAt: done.length ? Math.max(...done.map((c) => c.registeredAt)) : 0,
        // Each client's first "lost" after the crash is the loss, not an attempt.
        attempts: attemptsSinceMark - waiting.length,
        leaves: leavesSinceMark,
      };
    }
    case "mark":
      watched = request.on === undefined
        ? clients
        : clients.filter((c) => c.registry === request.on);
      marked = true;
      attemptsSinceMark = 0;
      leavesSinceMark = 0;
      return { marked: 1 };
    case "stop":
      await Promise.all(clients.map((c) => c.client.stop()));
      return { stopped: clients.length };
  }
}

self.onmessage = async (event: MessageEvent<RestartRequest>) => {
  self.postMessage(await handle(event.data));
};
