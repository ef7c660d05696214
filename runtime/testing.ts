/**
 * `rabbitmq-arq/testing`: helpers for users' tests, next to the in-process broker (`url: 'memory://'`).
 * Run client and worker on a `memory://` URL, `await drain(url)` until every job (delayed ones and
 * retries included) has run its course, and read the dead letters with `listDeadLetters`. To call a
 * handler directly, give it `jobContext()`.
 */
import { AttemptAbort, AttemptContext } from './worker/attempt-context.js';
import { memoryBroker } from './transport/memory-broker.js';
import { DrainTimeout, DrainUnsupported, JobAborted } from './errors.js';
import { createConsoleLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { JobContext, WorkerState } from './types.js';

export { listDeadLetters } from './operations/dead-letters.js';

export interface DrainOptions {
  /** Give up (and reject) after this long (ms). @defaultValue 10_000 */
  timeout?: number;
}

/**
 * Resolves once the in-process broker at `url` is idle: no message being handled and none waiting in
 * a queue (the delay ladder included; dead-letter queues are where jobs end, so they do not count).
 * A retry or a deferred job is waited for until it has run.
 */
export async function drain(url: string, options: DrainOptions = {}): Promise<void> {
  if (!url.startsWith('memory://'))
    throw new DrainUnsupported(`drain() works on the in-process broker (memory://), not ${url}`);
  const broker = memoryBroker(url);
  const deadline = Date.now() + (options.timeout ?? 10_000);
  // Idle twice in a row, a tick apart: a handler's outcome publish lands between its ack and the next check.
  let idleChecks = 0;
  while (idleChecks < 2) {
    if (Date.now() > deadline) throw new DrainTimeout(url, options.timeout ?? 10_000);
    idleChecks = broker.isIdle(isFinal) ? idleChecks + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Dead letters, and what the ladder could not deliver, are where jobs end, not where they wait. */
function isFinal(queue: string): boolean {
  return queue.endsWith('_dlq') || /\.delay\.v\d+\.unroutable$/.test(queue);
}

export interface JobContextOptions<State extends WorkerState> {
  jobId?: string;
  jobTry?: number;
  functionName?: string;
  queueName?: string;
  enqueueTime?: Date;
  redelivered?: boolean;
  state?: State;
  logger?: Logger;
}

/** A `JobContext` for calling a handler directly; `abort(reason)` fires its `signal`. */
export function jobContext<State extends WorkerState = WorkerState>(
  options: JobContextOptions<State> = {},
): JobContext<State> & { abort: (reason?: unknown) => void } {
  const abort = new AttemptAbort();
  const context = new AttemptContext<State>(
    options.jobId ?? 'test-job',
    options.jobTry ?? 1,
    options.functionName ?? 'test',
    options.queueName ?? 'default',
    options.enqueueTime ?? new Date(),
    options.redelivered ?? false,
    options.state ?? ({} as State),
    abort,
    options.logger ?? createConsoleLogger({ level: 'silent' }),
  );
  return Object.assign(context, {
    abort: (reason?: unknown) => abort.abort(reason ?? new JobAborted('aborted by the test')),
  });
}
