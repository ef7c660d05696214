/** Timing helpers shared by both sides: countdowns, pacing, bounded concurrency, percentiles. */
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A point in a run: wall time (ms) and this process's CPU time so far (µs, user + system). */
export interface Mark {
  at: number;
  cpu: number;
}

export function mark(): Mark {
  const { user, system } = process.cpuUsage();
  return { at: now(), cpu: user + system };
}

/** Jobs per second between two marks, and this process's CPU microseconds per job (producer and consumer together). */
export interface SpanFigures {
  perSecond: number;
  cpuPerJob: number;
}

export function span(start: Mark, end: Mark, jobs: number): SpanFigures {
  return { perSecond: perSecond(jobs, end.at - start.at), cpuPerJob: (end.cpu - start.cpu) / jobs };
}

/** Counts events; `done` resolves with a mark at the `target`-th one, `first` is the mark of the first. */
export class Countdown {
  count = 0;
  first: Mark | undefined;
  readonly done: Promise<Mark>;
  private resolve!: (at: Mark) => void;

  constructor(readonly target: number) {
    this.done = new Promise<Mark>((resolve) => (this.resolve = resolve));
  }

  hit(): void {
    this.count += 1;
    if (this.count === 1) this.first = mark();
    if (this.count === this.target) this.resolve(mark());
  }
}

/** Rejects with a clear message when `promise` takes longer than `ms`, so a stuck run cannot hang the bench. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Generous bound for a run of `jobs` jobs: even 200 jobs/s finishes well inside it. */
export function budgetFor(jobs: number): number {
  return 30_000 + jobs * 5;
}

/**
 * Promises started now and awaited together later (the paced latency runs). Each gets a handler at
 * once, so a failure seconds before `settled()` is not an unhandled rejection; `settled()` still rejects.
 */
export class Pending {
  private readonly promises: Array<Promise<unknown>> = [];

  add(promise: Promise<unknown>): void {
    promise.catch(() => undefined);
    this.promises.push(promise);
  }

  settled(): Promise<unknown> {
    return Promise.all(this.promises);
  }
}

/** Runs `task` `total` times with at most `inFlight` running at once. */
export async function runConcurrently(
  total: number,
  inFlight: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

/**
 * Calls `send` at `rate` per second for `seconds`, catching up after a late timer so the average
 * rate holds; returns how many were sent.
 */
export async function paced(rate: number, seconds: number, send: (index: number) => void): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) * rate) / 1000) + 1);
    while (sent < due) {
      send(sent);
      sent += 1;
    }
    await sleep(1);
  }
  return sent;
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export function latencyFigures(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    samples: sorted.length,
  };
}
