/**
 * One call of a user's handler, bounded by its timeout and by the attempt's abort: settles with what
 * the handler returned or threw, or with the abort reason as soon as the attempt is aborted. Also
 * the check of a returned value against the job's result schema.
 */
import { z as zod } from 'zod';
import type { z } from 'zod';
import { JobTimeout, oneLine } from '../errors.js';
import type { RuntimeLog } from '../messages.js';
import type { JobContext } from '../types.js';
import type { AttemptAbort } from './attempt-context.js';
import type { RegisteredJob } from './job-registry.js';

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The concurrency slot (`release`) is freed only when the handler itself settles: one that ignores
 * its signal still uses a core or a connection and must not be joined by another.
 */
export async function runHandler(
  registered: RegisteredJob,
  ctx: JobContext,
  args: unknown,
  abort: AttemptAbort,
  release: () => void,
  log: RuntimeLog,
): Promise<Settled> {
  const timer = setTimeout(() => abort.abort(new JobTimeout(registered.timeout)), registered.timeout);
  try {
    return await new Promise<Settled>((resolve) => {
      if (abort.aborted) {
        // Aborted (shutdown) while onJobStart ran: the handler never starts.
        release();
        resolve({ ok: false, error: abort.reason });
        return;
      }
      abort.onAbort = () => resolve({ ok: false, error: abort.reason });
      const settle = (result: Settled): void => {
        release();
        if (abort.aborted) log.debug('job.late_result', { jobId: ctx.jobId });
        else resolve(result);
      };
      let returned: unknown;
      try {
        returned = registered.handler(ctx, args);
      } catch (error) {
        settle({ ok: false, error });
        return;
      }
      if (isThenable(returned))
        returned.then(
          (value) => settle({ ok: true, value }),
          (error: unknown) => settle({ ok: false, error }),
        );
      else settle({ ok: true, value: returned });
    });
  } finally {
    clearTimeout(timer);
  }
}

export type CheckedResult =
  { success: true; data: unknown } | { success: false; issues: readonly z.core.$ZodIssue[]; thrown?: string };

/**
 * Checks a handler's result against its schema and encodes it for the store (`isoDate`: `Date` →
 * ISO string), catching what a user's schema throws (Zod does not catch exceptions inside a
 * refinement; an async schema throws when run synchronously), which would otherwise requeue the
 * delivery in a hot loop. A schema with a one-way transform cannot encode: its parse output is kept.
 */
export function checkResult(schema: z.ZodType, value: unknown): CheckedResult {
  try {
    const result = zod.safeEncode(schema, value as never);
    return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
  } catch (encodeError) {
    try {
      const result = schema.safeParse(value);
      return result.success ? { success: true, data: result.data } : { success: false, issues: result.error.issues };
    } catch (err) {
      return { success: false, issues: [], thrown: `the schema threw: ${oneLine(err ?? encodeError)}` };
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
