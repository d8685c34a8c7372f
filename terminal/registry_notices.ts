/**
 * What the terminal says about the registry connection, without flooding the
 * screen: one line when the registry is lost, at most one "still unreachable"
 * line per minute while it stays away, one line when it is back (how long it
 * was away, how many attempts). A registry never reached is "cannot reach",
 * with the address tried — nothing was lost.
 */

import type { PeerEvent } from "../peer/mod.ts";

/** The events this part speaks for. */
export type RegistryEvent = Extract<
  PeerEvent,
  { event: "registered" | "registry_lost" | "registry_retry" }
>;

/** Options for {@linkcode RegistryNotices}. */
export interface RegistryNoticesOptions {
  /** Clock in ms (tests pass their own). Default `Date.now`. */
  now?: () => number;
  /** Shortest gap between two "still unreachable" lines. Default one minute. */
  reminderMs?: number;
}

/** Turns registry events into the few lines a person needs. */
export class RegistryNotices {
  readonly #now: () => number;
  readonly #reminderMs: number;
  #everRegistered = false;
  /** When the last line about an ongoing outage was printed. */
  #lastNoticeAt = 0;
  /** Failed attempts before the first registration. */
  #initialFailures = 0;

  constructor(options: RegistryNoticesOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#reminderMs = options.reminderMs ?? 60_000;
  }

  /** The line to print for `event`, or `undefined` to stay quiet. */
  line(event: RegistryEvent): string | undefined {
    switch (event.event) {
      case "registered":
        return this.#registered(event);
      case "registry_lost":
        this.#lastNoticeAt = this.#now();
        return `* registry ${event.registry} lost (${event.reason}) — retrying in the background; ` +
          `chats with known peers continue`;
      case "registry_retry":
        return this.#retry(event);
    }
  }

  #registered(event: Extract<RegistryEvent, { event: "registered" }>): string {
    this.#everRegistered = true;
    if (event.reconnects === 0) {
      const tries = this.#initialFailures + 1;
      return `* registered with ${event.registry}` + (tries > 1 ? ` after ${tries} attempts` : "");
    }
    const away = event.awayMs === undefined ? "" : ` after ${formatDuration(event.awayMs)} away`;
    const tries = event.attempts === undefined ? "" : `${plural(event.attempts, "attempt")}, `;
    return `* registered again with ${event.registry}${away} (${tries}reconnect ${event.reconnects})`;
  }

  #retry(event: Extract<RegistryEvent, { event: "registry_retry" }>): string | undefined {
    const now = this.#now();
    if (!this.#everRegistered) {
      this.#initialFailures = event.attempts;
      if (event.attempts === 1) {
        this.#lastNoticeAt = now;
        return `* cannot reach the registry at ${event.registry} (${event.reason}) — ` +
          `retrying in the background; is it running there? (--registry HOST:PORT)`;
      }
    }
    if (now - this.#lastNoticeAt < this.#reminderMs) return undefined;
    this.#lastNoticeAt = now;
    const tries = plural(event.attempts, "attempt");
    return this.#everRegistered
      ? `* registry ${event.registry} still unreachable after ${tries} (${event.reason}); retrying`
      : `* still cannot reach the registry at ${event.registry} after ${tries} (${event.reason})`;
  }
}

/** `0.4s`, `12s`, `3m 20s`, `2h 5m`. */
export function formatDuration(ms: number): string {
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
