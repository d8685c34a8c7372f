/**
 * The rejoin window: the one rule by which a peer tells a registry
 * changeover from people leaving. When the list a registry sends this peer
 * is of another epoch than the one it knew (a restarted registry; a cluster
 * that formed its table anew), everyone it listed is held online for
 * {@linkcode rejoinWindowMs}. Those the new registry lists within the
 * window carry on as if nothing happened — no `peer_left`, no `peer_joined`,
 * an `updated` change if their address moved. Those it does not are reported
 * left with reason `timeout` when the window closes. docs/PROTOCOL.md
 * ("Registry changeover") states the same rule for other implementations.
 */

import type { WelcomeMessage } from "../protocol/mod.ts";
import type { DirectoryChange, PeerDirectory } from "./peer_directory.ts";

/** What the window needs from the new registry's `welcome`. */
export type RegistryTiming = Pick<WelcomeMessage, "heartbeatMs" | "evictAfter">;

/**
 * How long peers listed before a changeover have to be listed again:
 * `(evictAfter + 1) × heartbeatMs` of the new registry — the silence after
 * which that registry would itself call a peer gone, plus the sweep — and
 * on top one longest reconnect wait (`reconnectMaxMs`), because when the
 * registry comes back the others may each still be sleeping that long
 * before their next attempt (same backoff as this peer, by default 10 s).
 */
export function rejoinWindowMs(registry: RegistryTiming, reconnectMaxMs: number): number {
  return (registry.evictAfter + 1) * registry.heartbeatMs + reconnectMaxMs;
}

/** Options for {@linkcode RejoinWindow}. */
export interface RejoinWindowOptions {
  directory: PeerDirectory;
  /** This peer's longest wait between registry attempts (`--reconnect-max-ms`). */
  reconnectMaxMs: number;
  /** Receives the leaves of peers that did not rejoin, when a window closes. */
  closed(changes: DirectoryChange[]): void;
}

/** Opens, times and closes rejoin windows over a {@linkcode PeerDirectory}. */
export class RejoinWindow implements Disposable {
  readonly #options: RejoinWindowOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The timing of the registry this peer is registered with now. */
  #registry: RegistryTiming | undefined;

  constructor(options: RejoinWindowOptions) {
    this.#options = options;
  }

  /** True while peers are held and the clock runs. */
  get open(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * This peer was welcomed by a registry. Peers still held from an earlier
   * window keep waiting, with the window running afresh from now.
   */
  registered(registry: RegistryTiming): void {
    this.#registry = registry;
    this.#stop();
    if (this.#options.directory.held > 0) this.#start();
  }

  /**
   * A list of `epoch` is about to be applied (call before each snapshot).
   * An epoch other than the one the directory is current to is a
   * changeover: everyone listed is held, and the window opens. The welcome's
   * own epoch does not decide this: in a cluster it names the instance, and
   * moving between instances keeps the list's epoch.
   */
  listArrives(epoch: string): void {
    const { directory } = this.#options;
    if (!this.#registry || directory.epoch === undefined || directory.epoch === epoch) return;
    if (directory.size === 0) return;
    directory.holdForRejoin();
    this.#stop();
    this.#start();
  }

  /**
   * The registry is lost again: nobody can be seen rejoining until this peer
   * is back, so the clock stops and the held peers stay held.
   */
  lost(): void {
    this.#stop();
  }

  [Symbol.dispose](): void {
    this.#stop();
  }

  #start(): void {
    // A list only ever arrives after its registry's welcome.
    const registry = this.#registry!;
    this.#timer = setTimeout(
      () => this.#close(),
      rejoinWindowMs(registry, this.#options.reconnectMaxMs),
    );
  }

  #close(): void {
    this.#timer = undefined;
    const changes = this.#options.directory.dropUnrejoined();
    if (changes.length > 0) this.#options.closed(changes);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
