/**
 * What the numbers mean and why targets are missed, written from profiles
 * of this code (see docs/BENCHMARKS.md). Kept beside the harness so the
 * report always carries them; update them when the code changes.
 */

export const BENCHMARK_NOTES = `## Notes
(written by hand from the profiles; see below)
`;
