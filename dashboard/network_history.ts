/**
 * The last hour of the registry in numbers, for the dashboard's chart:
 * samples of its counters taken as changes arrive (at most one per sample
 * interval), so no timer runs and an idle registry costs nothing — when
 * nothing happens, nothing changed.
 */

import type { RegistryStats, RegistryView } from "../registry/mod.ts";

/** One reading of the counters. */
export interface NetworkSample {
  at: number;
  online: number;
  heartbeats: number;
  joins: number;
  leaves: number;
  evictions: number;
}

/** The shortest span the chart draws, so a fresh registry's first minutes are not a smear. */
const MIN_SPAN_MS = 5 * 60_000;

/** Options for {@linkcode NetworkHistory}. */
export interface NetworkHistoryOptions {
  /** Shortest time between samples. Default 10 s (360 in an hour). */
  sampleMs?: number;
  /** How far back the chart looks at most. Default one hour. */
  windowMs?: number;
}

/** Samples of a {@linkcode RegistryView}'s counters over a sliding window. */
export class NetworkHistory {
  readonly sampleMs: number;
  readonly windowMs: number;
  readonly #view: RegistryView;
  readonly #samples: NetworkSample[] = [];
  #nextSampleAt = 0;
  #version = 0;

  constructor(view: RegistryView, options: NetworkHistoryOptions = {}) {
    this.#view = view;
    this.sampleMs = options.sampleMs ?? 10_000;
    this.windowMs = options.windowMs ?? 3_600_000;
    this.observe(view.info().startedAt);
  }

  /** Increases with every sample taken: a chart drawn at another version is out of date. */
  get version(): number {
    return this.#version;
  }

  /** Called on every registry change; takes a sample when one is due. */
  observe(now = Date.now()): void {
    if (now < this.#nextSampleAt) return;
    this.#samples.push(sampleOf(this.#view.stats(), now));
    this.#nextSampleAt = now + this.sampleMs;
    const oldest = now - this.windowMs - this.sampleMs;
    // One sample older than the window stays, so the chart starts at its left edge.
    while (this.#samples.length > 2 && this.#samples[1].at < oldest) this.#samples.shift();
    this.#version++;
  }

  /**
   * The span to draw at `now`: the whole run while it is younger than the
   * window (at least five minutes, in whole minutes), then the window.
   */
  spanAt(now = Date.now()): number {
    const run = now - this.#view.info().startedAt;
    const minutes = Math.ceil(Math.max(MIN_SPAN_MS, run) / 60_000);
    return Math.min(this.windowMs, minutes * 60_000);
  }

  /** The samples in the window, oldest first, ending with a reading taken `now`. */
  samples(now = Date.now()): NetworkSample[] {
    return [...this.#samples, sampleOf(this.#view.stats(), now)];
  }
}

function sampleOf(stats: RegistryStats, at: number): NetworkSample {
  return {
    at,
    online: stats.peersOnline,
    heartbeats: stats.heartbeats,
    joins: stats.registrations,
    leaves: stats.leaves.bye + stats.leaves.kicked + (stats.leaves.timeout - stats.evictions),
    evictions: stats.evictions,
  };
}
