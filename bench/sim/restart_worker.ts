/// <reference lib="deno.worker" />
/**
 * Hosts peers that run the real reconnect logic (RegistryClient: backoff
 * with jitter, re-registration) but nothing else, for the restart benchmark.
 * Counts connection attempts made after `mark`.
 */

import { Identity, PeerDirectory, RegistryClient } from "../../peer/mod.ts";
import type { HostPort } from "../../protocol/mod.ts";

/** Requests the restart worker understands. */
export type RestartRequest =
  | { op: "start"; registry: HostPort; count: number }
  | { op: "waitRegistered"; sessions: number; timeoutMs: number }
  | { op: "mark" }
  | { op: "stop" };

interface Client {
  client: RegistryClient;
  sessions: number;
  registeredAt: number;
}

const clients: Client[] = [];
let attemptsSinceMark = 0;
let marked = false;

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
        };
        entry.client = new RegistryClient({
          registries: [request.registry],
          identity,
          name: `r${prefix}-${i}`,
          directory: new PeerDirectory(identity.id),
          listenPort: 9,
          handler: {
            registered: () => {
              entry.sessions++;
              entry.registeredAt = performance.timeOrigin + performance.now();
              if (marked) attemptsSinceMark++; // the attempt that succeeded
            },
            peersChanged: () => {},
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
      const deadline = performance.now() + request.timeoutMs;
      while (clients.some((c) => c.sessions < request.sessions) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const done = clients.filter((c) => c.sessions >= request.sessions);
      return {
        registered: done.length,
        lastRegisteredAt: Math.max(...done.map((c) => c.registeredAt)),
        // Each client's first "lost" after the crash is the loss, not an attempt.
        attempts: attemptsSinceMark - clients.length,
      };
    }
    case "mark":
      marked = true;
      attemptsSinceMark = 0;
      return { marked: 1 };
    case "stop":
      await Promise.all(clients.map((c) => c.client.stop()));
      return { stopped: clients.length };
  }
}

self.onmessage = async (event: MessageEvent<RestartRequest>) => {
  self.postMessage(await handle(event.data));
};
