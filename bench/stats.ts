// Small helpers shared by the benchmarks: percentiles, timing loops and a clock-free median.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile: no values');
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: the smallest value with at least p % of the values at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Runs `fn` repeatedly for at least `minMs` (and `minRuns` times); returns runs and elapsed ms. */
export function timeLoop(fn: (i: number) => void, minMs: number, minRuns = 1): { runs: number; elapsedMs: number } {
  const start = performance.now();
  let runs = 0;
  while (runs < minRuns || performance.now() - start < minMs) fn(runs++);
  return { runs, elapsedMs: performance.now() - start };
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
