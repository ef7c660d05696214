/**
 * Retries a burst-mode worker published and has not seen come back: burst mode must not stop while
 * one is still on its way through the delay ladder, since nothing else would run it. Only burst mode
 * keeps one (worker.ts); a worker that runs until stopped needs none.
 *
 * A retry may be taken by another worker on the same queue, so this worker may never see it again.
 * An entry is therefore also forgotten once it is overdue by more than `slack`: the ladder delivers on
 * time, so a retry that late went elsewhere. Overdue entries are swept when burst mode asks and, at
 * most once per `slack`, as retries are published, so the map holds at most the retries due within
 * the longest backoff plus twice the slack, however long the worker runs and whoever takes them.
 */

/** How long past its due time a retry this worker published may take to come back before it is forgotten. */
export const RETRY_RETURN_SLACK_MS = 5_000;

export class PendingRetries {
  /** `jobId:jobTry` → due time (epoch ms). */
  private readonly due = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly slack: number = RETRY_RETURN_SLACK_MS) {}

  /** Retries still awaited; for tests and the burst check. */
  get size(): number {
    return this.due.size;
  }

  /** This worker published try `jobTry` of `jobId`, due at `due`. */
  published(jobId: string, jobTry: number, due: number, now: number): void {
    this.due.set(`${jobId}:${jobTry}`, due);
    if (now >= this.nextSweep) this.sweep(now);
  }

  /** A delivery arrived here: if it is one of ours, it is back. Costs nothing while none is awaited. */
  delivered(jobId: string, jobTry: number): void {
    if (this.due.size > 0) this.due.delete(`${jobId}:${jobTry}`);
  }

  /** Whether a retry of ours may still come back, after forgetting those overdue by more than the slack. */
  awaiting(now: number): boolean {
    this.sweep(now);
    return this.due.size > 0;
  }

  private sweep(now: number): void {
    this.nextSweep = now + this.slack;
    for (const [key, due] of this.due) if (now > due + this.slack) this.due.delete(key);
  }
}
