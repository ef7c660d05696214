// The retry policy: exponential backoff from `retryBackoff`, capped by `retryBackoffMax`, jittered between half and all
// of the capped value; `maxRetries` counts the attempts after the first.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, decideFailure, hasAttemptsLeft } from '../../runtime/worker/retry-policy.js';
import { JobAborted, JobTimeout, NonRetryable, Retry } from '../../runtime/errors.js';

const settings = { retryBackoff: 1_000, retryBackoffMax: 300_000 };
const top = (): number => 1;
const bottom = (): number => 0;

describe('backoffDelay', () => {
  it('doubles per failed attempt, starting at retryBackoff', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((failedTry) => backoffDelay(failedTry, settings, top)),
      [1_000, 2_000, 4_000, 8_000, 16_000],
    );
  });

  it('never goes above retryBackoffMax, however many attempts failed', () => {
    const capped = { retryBackoff: 5_000, retryBackoffMax: 30_000 };
    assert.equal(backoffDelay(3, capped, top), 20_000);
    assert.equal(backoffDelay(4, capped, top), 30_000);
    assert.equal(backoffDelay(40, capped, top), 30_000);
    // 2^2000 overflows to Infinity; the cap still holds.
    assert.equal(backoffDelay(2_000, capped, top), 30_000);
  });

  it('jitters between half and all of the capped delay', () => {
    assert.equal(backoffDelay(1, settings, bottom), 500);
    assert.equal(backoffDelay(3, settings, bottom), 2_000);
    assert.equal(backoffDelay(40, settings, bottom), 150_000);
    assert.equal(
      backoffDelay(1, settings, () => 0.5),
      750,
    );
    for (let i = 0; i < 2_000; i += 1) {
      const failedTry = 1 + (i % 12);
      const full = Math.min(settings.retryBackoff * 2 ** (failedTry - 1), settings.retryBackoffMax);
      const delay = backoffDelay(failedTry, settings);
      assert.ok(delay >= full / 2 && delay <= full, `try ${failedTry}: ${delay} ms is outside [${full / 2}, ${full}]`);
      assert.ok(Number.isInteger(delay), `${delay} is not a whole number of milliseconds`);
    }
  });

  it('spreads jobs that failed together instead of retrying them at one instant', () => {
    const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(2, settings)));
    assert.ok(delays.size > 50, `only ${delays.size} distinct delays out of 100`);
  });

  it('treats a zero backoff as an immediate retry', () => {
    assert.equal(backoffDelay(3, { retryBackoff: 0, retryBackoffMax: 300_000 }, top), 0);
  });
});

describe('hasAttemptsLeft', () => {
  it('allows maxRetries attempts after the first, and no more', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((jobTry) => hasAttemptsLeft(jobTry, 3)),
      [true, true, true, false, false],
    );
  });

  it('with maxRetries 0, the first failure is the last', () => {
    assert.equal(hasAttemptsLeft(1, 0), false);
  });

  it('runs exactly 1 + maxRetries attempts when every attempt fails', () => {
    for (const maxRetries of [0, 1, 3, 10]) {
      let attempts = 1;
      while (hasAttemptsLeft(attempts, maxRetries)) attempts += 1;
      assert.equal(attempts, 1 + maxRetries);
    }
  });
});

describe('decideFailure', () => {
  const backoff = { retryBackoff: 1_000, retryBackoffMax: 10_000 };
  const now = Date.parse('2026-01-01T00:00:00Z');
  const failed = (
    error: unknown,
    fields: Partial<{ jobTry: number; maxRetries: number; expires: Date | null }> = {},
  ) => ({
    error,
    jobTry: 1,
    maxRetries: 3,
    expires: null,
    now,
    ...fields,
  });
  const table: { name: string; input: ReturnType<typeof failed>; expect: Record<string, unknown> }[] = [
    {
      name: 'an error with attempts left: retry after the backoff',
      input: failed(new Error('x')),
      expect: { kind: 'retry', delay: 1_000 },
    },
    {
      name: 'third failure: backoff doubled twice',
      input: failed(new Error('x'), { jobTry: 3 }),
      expect: { kind: 'retry', delay: 4_000 },
    },
    {
      name: 'Retry({ defer }) wins over the backoff',
      input: failed(new Retry({ defer: 250 })),
      expect: { kind: 'retry', delay: 250 },
    },
    {
      name: 'Retry({ defer: 0 }) retries at once',
      input: failed(new Retry({ defer: 0 })),
      expect: { kind: 'retry', delay: 0 },
    },
    {
      name: 'no attempts left: dead, retriable',
      input: failed(new Error('x'), { jobTry: 4 }),
      expect: { kind: 'dead', category: 'retriable' },
    },
    {
      name: 'a Retry with no attempts left: dead, retriable',
      input: failed(new Retry({ defer: 5 }), { jobTry: 4 }),
      expect: { kind: 'dead', category: 'retriable' },
    },
    {
      name: 'maxRetries 0: the first failure is the last',
      input: failed(new Error('x'), { maxRetries: 0 }),
      expect: { kind: 'dead', category: 'retriable' },
    },
    {
      name: 'NonRetryable: dead at once',
      input: failed(new NonRetryable('no')),
      expect: { kind: 'dead', category: 'non_retriable' },
    },
    { name: 'a timeout is retried', input: failed(new JobTimeout(10)), expect: { kind: 'retry', delay: 1_000 } },
    {
      name: 'an abort: dead, aborted',
      input: failed(new JobAborted('stop')),
      expect: { kind: 'dead', category: 'aborted' },
    },
    {
      name: 'a retry that would run after expiry: dead, expired',
      input: failed(new Error('x'), { expires: new Date(now + 999) }),
      expect: { kind: 'dead', category: 'expired' },
    },
    {
      name: 'a retry before expiry: retry',
      input: failed(new Error('x'), { expires: new Date(now + 1_001) }),
      expect: { kind: 'retry', delay: 1_000 },
    },
    {
      name: 'a thrown string: retried like an error',
      input: failed('plain string'),
      expect: { kind: 'retry', delay: 1_000 },
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      // random() = 1 removes the jitter, so delays read as the formula.
      const decision = decideFailure(row.input, backoff, () => 1) as Record<string, unknown>;
      for (const [key, value] of Object.entries(row.expect)) assert.deepEqual(decision[key], value, key);
    });
  }
});
