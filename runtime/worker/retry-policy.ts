/** Whether and when a failed job runs again. Pure, so every rule is unit-tested as a table. */
import { JobExpired, errorCode } from '../errors.js';

export interface BackoffSettings {
  /** Delay after the first failure (ms). */
  retryBackoff: number;
  /** Largest delay (ms). */
  retryBackoffMax: number;
}

/**
 * Delay before attempt `failedTry + 1`: `retryBackoff × 2^(failedTry−1)`, capped at
 * `retryBackoffMax`, then jittered uniformly between half and all of it so that jobs failing
 * together do not retry together.
 */
export function backoffDelay(failedTry: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponential = settings.retryBackoff * 2 ** Math.max(0, failedTry - 1);
  const capped = Math.min(exponential, settings.retryBackoffMax);
  return Math.round(capped * (0.5 + 0.5 * random()));
}

/** Whether a job whose attempt `jobTry` just failed may run again. `maxRetries` counts attempts after the first. */
export function hasAttemptsLeft(jobTry: number, maxRetries: number): boolean {
  return jobTry <= maxRetries;
}

/** What becomes of a failed attempt. */
export type FailureDecision =
  | { kind: 'retry'; delay: number }
  | { kind: 'dead'; category: 'retriable' | 'non_retriable' | 'aborted' | 'expired'; error: unknown };

export interface FailedAttempt {
  error: unknown;
  jobTry: number;
  maxRetries: number;
  expires: Date | null;
  now: number;
}

/**
 * The retry decision, pure: permanent errors (`NonRetryable`, `InvalidJobResult`, `JobAborted`)
 * dead-letter at once; otherwise another attempt while attempts remain, after `Retry`'s `defer` or
 * the backoff, unless that attempt would run after the job expires.
 */
export function decideFailure(
  failed: FailedAttempt,
  backoff: BackoffSettings,
  random: () => number = Math.random,
): FailureDecision {
  const code = errorCode(failed.error);
  if (code === 'NON_RETRYABLE' || code === 'INVALID_JOB_RESULT')
    return { kind: 'dead', category: 'non_retriable', error: failed.error };
  if (code === 'JOB_ABORTED') return { kind: 'dead', category: 'aborted', error: failed.error };
  if (!hasAttemptsLeft(failed.jobTry, failed.maxRetries))
    return { kind: 'dead', category: 'retriable', error: failed.error };
  const requested = code === 'RETRY' ? (failed.error as { defer?: number }).defer : undefined;
  const delay = requested ?? backoffDelay(failed.jobTry, backoff, random);
  if (failed.expires && failed.now + delay >= failed.expires.getTime()) {
    const expired = new JobExpired(
      `the next attempt would run after the job expires at ${failed.expires.toISOString()}`,
      { cause: failed.error },
    );
    return { kind: 'dead', category: 'expired', error: expired };
  }
  return { kind: 'retry', delay };
}
