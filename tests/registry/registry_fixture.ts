/**
 * Shared set-up for the registry tests: an in-process registry on a free
 * loopback port with fast heartbeats, and simulated peers that register with it.
 */

import assert from "node:assert/strict";
import { type HostPort, parseHostPort } from "../../protocol/mod.ts";
import { Registry, type RegistryOptions } from "../../registry/mod.ts";
import { RawPeer, type RegisterOptions, RegistrationRefused } from "../../sim/mod.ts";

/** Heartbeat interval the test registries use. */
export const HEARTBEAT_MS = 100;
/** Missed heartbeats before eviction in the test registries. */
export const EVICT_AFTER = 3;
/** How often simulated peers that must stay online heartbeat. */
export const KEEPALIVE_MS = HEARTBEAT_MS / 2;

/** The registry's default least time between two peer-list flushes. */

/**
 * A registry on `127.0.0.1:0` with fast heartbeats; `options` override.
 * Disposing it shuts it down and then lets a stray peer-list flush run out.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  return await Registry.start({
    listen: { hostname: "127.0.0.1", port: 0 },
    heartbeatMs: HEARTBEAT_MS,
    evictAfter: EVICT_AFTER,
    registerTimeoutMs: 500,
    // Every test peer comes from 127.0.0.1: one network, many peers.
    maxPeersPerNetwork: 100_000,
    ...options,
  });
}

/** Where peers reach `registry`. */
export function addressOf(registry: Registry): HostPort {
  return parseHostPort(registry.info().listen);
}

/**
 * A peer that registered as `name` (with a tracked peer list) and has
 * received its first snapshot.
 */
export async function registeredPeer(
  registry: Registry,
  name: string,
  options: Omit<RegisterOptions, "name"> = {},
): Promise<RawPeer> {
  const peer = await RawPeer.connect(addressOf(registry), { trackPeers: true, label: name });
  try {
    await peer.register({ name, ...options });
    await peer.waitForPeers(() => true);
  } catch (error) {
    await peer.close();
    throw error;
  }
  return peer;
}

/**
 * Expects the registry to answer with an `error` frame carrying `code` and
 * only then to close the connection. `attempt`, when given, is the
 * handshake step that must fail with that refusal.
 */
export async function expectRefusal(
  peer: RawPeer,
  code: string,
  attempt?: Promise<unknown>,
): Promise<void> {
  if (attempt !== undefined) {
    await assert.rejects(attempt, (error) => {
      assert.ok(error instanceof RegistrationRefused, String(error));
      assert.equal(error.code, code, error.message);
      return true;
    });
  }
  const error = await peer.until(
    () => peer.messages.find((m) => m.type === "error"),
    `an error frame with code ${code}`,
  );
  assert.equal(error.code, code, `error frame: ${error.message}`);
  assert.ok(error.message.length > 0, "the error frame explains itself");
  await peer.waitClosed();
  assert.equal(peer.readError, undefined, "the registry's frames were all valid");
  assert.equal(peer.messages.at(-1), error, "the error frame is the last thing sent");
}

/**
 * Checks that `peer` is still served: its heartbeat is acknowledged and a
 * newcomer named `newcomer` reaches it as a join.
 */
export async function assertStillServed(
  registry: Registry,
  peer: RawPeer,
  newcomer: string,
): Promise<void> {
  await peer.heartbeat();
  await using other = await registeredPeer(registry, newcomer);
  await peer.waitForPeers((peers) => peers.has(other.identity.id));
  assert.ok(registry.peer(peer.identity.id), `${peer.label} is still online`);
}

/** Every ID that any peers_delta received by `peer` mentions. */
export function idsInDeltas(peer: RawPeer): Set<string> {
  const ids = new Set<string>();
  for (const message of peer.messages) {
    if (message.type !== "peers_delta") continue;
    for (const change of message.changes) {
      ids.add(change.op === "left" ? change.id : change.peer.id);
    }
  }
  return ids;
}
