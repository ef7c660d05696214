/**
 * One call of a user's handler: `callHandler` settles with what the handler returned or threw, when
 * the handler itself does; `untilSettledOrAborted` settles with that, or with the abort reason as soon
 * as the attempt is aborted (its timeout, a shutdown, an abort request). The pipeline holds the
 * concurrency slot until the former, and settles the delivery at the latter.
 */
import { JobTimeout } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { JobContext } from '../types.js';
import type { AttemptAbort } from './attempt-context.js';
import type { RegisteredJob } from './job-registry.js';

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Calls the handler; never rejects. */
export function callHandler(registered: RegisteredJob, ctx: JobContext, args: unknown): PromiseLike<Settled> {
  let returned: unknown;
  try {
    returned = registered.handler(ctx, args);
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  if (isThenable(returned))
    return returned.then(
      (value): Settled => ({ ok: true, value }),
      (error: unknown): Settled => ({ ok: false, error }),
    );
  return Promise.resolve({ ok: true, value: returned });
}

/** The handler's settlement, or the abort's reason once the attempt is aborted, or times out after `timeout` ms. */
export function untilSettledOrAborted(
  handler: PromiseLike<Settled>,
  abort: AttemptAbort,
  timeout: number,
  jobId: string,
  log: RuntimeLog,
): Promise<Settled> {
  return new Promise<Settled>((resolve) => {
    if (abort.aborted) {
      // Aborted while the handler started (it ran synchronously into a shutdown): the abort wins.
      resolve({ ok: false, error: abort.reason });
      return;
    }
    const timer = setTimeout(() => abort.abort(new JobTimeout(timeout)), timeout);
    abort.onAbort = () => {
      clearTimeout(timer);
      resolve({ ok: false, error: abort.reason });
    };
    handler.then((settled) => {
      clearTimeout(timer);
      if (abort.aborted) log.debug('job.late_result', { jobId });
      else resolve(settled);
    });
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
