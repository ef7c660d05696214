/**
 * One call of a user's handler: what it returned or threw, synchronously for a handler that returns
 * a plain value, else as a promise that settles when the handler's own promise does and never
 * rejects. Racing it with the attempt's abort and holding the concurrency slot are the pipeline's.
 */
import type { JobContext } from '../types.js';
import type { RegisteredJob } from './job-registry.js';

/** What a handler returned (`ok`) or threw or rejected with. */
export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Calls the handler: a plain value or a throw settles at once, a promise when it settles; never rejects. */
export function callHandler(registered: RegisteredJob, ctx: JobContext, args: unknown): Settled | PromiseLike<Settled> {
  let returned: unknown;
  try {
    returned = registered.handler(ctx, args);
  } catch (error) {
    return { ok: false, error };
  }
  if (!isPromiseLike(returned)) return { ok: true, value: returned };
  return returned.then(
    (value): Settled => ({ ok: true, value }),
    (error: unknown): Settled => ({ ok: false, error }),
  );
}

/** Whether a value is a thenable, as `await` would treat it. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
