/**
 * Resident memory of processes under test, read from `/proc/PID/status`
 * (`VmRSS`): sampled in the background to keep each one's peak, and read on
 * demand to see where it ended.
 */

import assert from "node:assert/strict";

/** `bytes` as megabytes with one decimal, for test output. */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Samples the resident memory of a few processes, keeping the peak. */
export class MemoryWatch implements AsyncDisposable {
  readonly before: Record<string, number> = {};
  readonly peak: Record<string, number> = {};
  readonly #pids: Record<string, number>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #sampling: Promise<unknown> = Promise.resolve();

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
    for (const [role, pid] of Object.entries(pids)) {
      this.before[role] = this.peak[role] = rssBytesNow(pid);
    }
    this.#timer = setInterval(() => {
      this.#sampling = this.#sampling.then(() => this.sample());
    }, 250);
  }

  /** Current resident memory of every process (and updates the peaks). */
  async sample(): Promise<Record<string, number>> {
    const now: Record<string, number> = {};
    for (const [role, pid] of Object.entries(this.#pids)) {
      now[role] = await rssBytes(pid);
      this.peak[role] = Math.max(this.peak[role], now[role]);
    }
    return now;
  }

  summary(now: Record<string, number>): string {
    return Object.keys(this.#pids).map((role) =>
      `${role} ${mb(this.before[role])} → peak ${mb(this.peak[role])} → ${mb(now[role])}`
    ).join("; ");
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function rssBytesNow(pid: number): number {
  return parseRss(pid, Deno.readTextFileSync(`/proc/${pid}/status`));
}

/** Resident memory of process `pid`, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  return parseRss(pid, await Deno.readTextFile(`/proc/${pid}/status`));
}

function parseRss(pid: number, status: string): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  assert.ok(kb, `no VmRSS for process ${pid} (has it exited?)`);
  return Number(kb[1]) * 1024;
}
