/** When the next attempt of a failed job runs. Pure, so its bounds are unit-tested. */

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
