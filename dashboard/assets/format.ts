/**
 * Formatting shared by the server-rendered page and the browser script. Each
 * function is self-contained (no imports, no outer variables) because the
 * browser receives them as source text.
 */

/** A heartbeat age: `0.4 s`, `12 s`, `3 min`, `2 h`. */
export function formatAge(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** A longer span, for uptime and "connected for": `3 h 12 min`, `45 s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

/** Local wall-clock time of day, `20:08:31`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * How worrying a heartbeat age is: `late` once a beat is overdue by half an
 * interval, `critical` once eviction is less than one interval away.
 */
export function heartbeatState(
  ageMs: number,
  heartbeatMs: number,
  evictAfter: number,
): "ok" | "late" | "critical" {
  if (ageMs > heartbeatMs * Math.max(1.5, evictAfter - 1)) return "critical";
  if (ageMs > heartbeatMs * 1.5) return "late";
  return "ok";
}
