/**
 * Burst mode: checks every `checkInterval` whether the worker's work is done (no delivery held here,
 * no retry of ours still on its way back, every queue empty) and stops it then, or at `timeout`.
 */
import type { RuntimeLog } from '../messages.js';
import type { ResolvedWorkerSettings } from '../settings/settings.js';
import type { PendingRetries } from './pending-retries.js';

export interface BurstProbes {
  stopRequested(): boolean;
  /** Deliveries this worker holds (running, waiting for a slot, publishing an outcome). */
  held(): number;
  /** Retries this worker published and has not seen again. */
  pendingRetries: PendingRetries;
  queuesEmpty(): Promise<boolean>;
  stop(reason: 'burst' | 'burst timeout', waitForTasks: boolean): void;
}

/** Starts watching; returns the interval timer for the worker to clear on shutdown. */
export function watchBurst(
  burst: NonNullable<ResolvedWorkerSettings['burst']>,
  probes: BurstProbes,
  log: RuntimeLog,
): NodeJS.Timeout {
  const startedAt = Date.now();
  let checking = false;
  const check = async (): Promise<void> => {
    if (checking || probes.stopRequested()) return;
    checking = true;
    try {
      if (Date.now() - startedAt >= burst.timeout) {
        log.info('worker.burst_timeout', { timeout: burst.timeout });
        probes.stop('burst timeout', burst.waitForTasks);
        return;
      }
      if (probes.held() > 0) return;
      if (probes.pendingRetries.awaiting(Date.now())) return;
      if (!(await probes.queuesEmpty())) return;
      if (probes.held() > 0 || probes.pendingRetries.awaiting(Date.now())) return;
      log.info('worker.burst_drained');
      probes.stop('burst', burst.waitForTasks);
    } catch {
      // A failed check (broker away) is simply tried again at the next interval.
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), burst.checkInterval);
  void check();
  return timer;
}
