/**
 * The per-attempt objects a handler sees. Built for every job, so both are lazy: the AbortController
 * and the job's logger exist only if the handler asks for `ctx.signal` or `ctx.logger`.
 */
import { tickOfJobId } from '../schedules/schedule.js';
import type { Logger, LogFields } from '../logger.js';
import type { JobContext, WorkerState } from '../types.js';

/** Abort state of one attempt; `abort` fires the handler's signal (if it took one) and tells the worker. */
export class AttemptAbort {
  private controller: AbortController | undefined;
  aborted = false;
  reason: unknown;
  /** Called once, on the first abort (the worker stops waiting for the handler). */
  onAbort: (() => void) | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.onAbort?.();
  }
}

export class AttemptContext<State extends WorkerState> implements JobContext<State> {
  private jobLogger: Logger | undefined;

  constructor(
    readonly jobId: string,
    readonly jobTry: number,
    readonly functionName: string,
    readonly queueName: string,
    readonly enqueueTime: Date,
    readonly redelivered: boolean,
    readonly state: State,
    private readonly abortState: AttemptAbort,
    private readonly workerLogger: Logger,
  ) {}

  get tick(): Date | undefined {
    return tickOfJobId(this.jobId);
  }

  get signal(): AbortSignal {
    return this.abortState.signal;
  }

  get logger(): Logger {
    this.jobLogger ??= withFields(this.workerLogger, { jobId: this.jobId, functionName: this.functionName });
    return this.jobLogger;
  }
}

/** A logger that adds `fields` to every line. */
export function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    debug: (message, extra) => logger.debug(message, { ...fields, ...extra }),
    info: (message, extra) => logger.info(message, { ...fields, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
    error: (message, extra) => logger.error(message, { ...fields, ...extra }),
  };
}
