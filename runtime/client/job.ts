import type { z } from 'zod';
import { JobFailed, JobNotFound, ResultTimeout } from '../errors.js';
import type { JobRecord, JobStatus, StoredError } from '../results/job-record.js';

/**
 * Where a `TrackedJob` reads its record and sends its abort: the client's result store. Its own
 * interface so the public declarations do not carry the store's internals.
 */
export interface JobRecordSource {
  get(jobId: string): Promise<JobRecord | null>;
  /** The record once final, or whatever it is after `timeout` ms. */
  waitForFinal(jobId: string, timeout: number): Promise<JobRecord | null>;
  /** `aborted` (before it ran), `aborting` (its worker was asked), `finished` or `missing`. */
  abort(jobId: string): Promise<'aborted' | 'aborting' | 'missing' | 'finished'>;
}

/**
 * A handle on an enqueued job, returned once the broker has confirmed it. Without a result store
 * this is all there is to know; with one, the client hands out a `TrackedJob` instead.
 */
export class Job<R = unknown> {
  /** Only in the type: carries the job's result type from the client to `TrackedJob.result()`. */
  declare readonly resultType?: R;

  constructor(
    readonly jobId: string,
    readonly functionName: string,
    readonly queueName: string,
    readonly enqueueTime: Date,
    /** When the job becomes due; `null` when it was not deferred. */
    readonly deferUntil: Date | null,
  ) {}
}

/** What the result store knows of a job, with times as `Date`s. */
export interface JobInfo<R = unknown> {
  jobId: string;
  status: JobStatus;
  functionName: string;
  queueName: string;
  tries: number;
  enqueueTime: Date | null;
  deferUntil: Date | null;
  startTime: Date | null;
  endTime: Date | null;
  worker: string | null;
  /** Present once `status` is `complete`. */
  result?: R;
  error: StoredError | null;
}

/** A job enqueued through a client with a result store: its status, result and abort. */
export class TrackedJob<R = unknown> extends Job<R> {
  constructor(
    base: Job<R>,
    private readonly store: JobRecordSource,
    private readonly resultSchema: z.ZodType | undefined,
  ) {
    super(base.jobId, base.functionName, base.queueName, base.enqueueTime, base.deferUntil);
  }

  /** Where the job stands now; `not_found` once its record expired (or for an id never enqueued with a store). */
  async status(): Promise<JobStatus | 'not_found'> {
    const record = await this.store.get(this.jobId);
    return record ? record.status : 'not_found';
  }

  /** Everything the store knows of the job, or `null` when there is no record. */
  async info(): Promise<JobInfo<R> | null> {
    const record = await this.store.get(this.jobId);
    return record ? this.toInfo(record) : null;
  }

  /**
   * Waits for the job to finish and returns its result, decoded by the job's result schema.
   * Rejects with `JobFailed` (type, code and message of the failure) when the job ended otherwise,
   * with `ResultTimeout` at `timeout` ms (default: wait as long as it takes), with `JobNotFound`
   * when no record exists, and with `ResultStoreUnavailable` when Redis does not answer.
   */
  async result(options: { timeout?: number } = {}): Promise<R> {
    const timeout = options.timeout ?? 2 ** 31 - 1;
    const record = await this.store.waitForFinal(this.jobId, timeout);
    if (record === null) {
      if ((await this.store.get(this.jobId)) === null) throw new JobNotFound(this.jobId);
      throw new ResultTimeout(this.jobId, timeout);
    }
    return outcomeOf(record, this.resultSchema) as R;
  }

  /**
   * Aborts the job: one that has not started is never run; a running one sees `ctx.signal` fire
   * (reason `JobAborted`) on whichever worker runs it, and ends `aborted`, not retried. Resolves
   * `true` when the abort took hold, `false` when the job had already finished or has no record.
   */
  async abort(): Promise<boolean> {
    const reply = await this.store.abort(this.jobId);
    return reply === 'aborted' || reply === 'aborting';
  }

  private toInfo(record: JobRecord): JobInfo<R> {
    const info: JobInfo<R> = {
      jobId: record.jobId,
      status: record.status,
      functionName: record.functionName,
      queueName: record.queueName,
      tries: record.tries,
      enqueueTime: toDate(record.enqueueTime),
      deferUntil: toDate(record.deferUntil),
      startTime: toDate(record.startTime),
      endTime: toDate(record.endTime),
      worker: record.worker,
      error: record.error,
    };
    if (record.status === 'complete') info.result = decodeResult(record.result, this.resultSchema) as R;
    return info;
  }
}

/** The result of a final record, or the failure it records as a thrown `JobFailed`. */
export function outcomeOf(record: JobRecord, resultSchema: z.ZodType | undefined): unknown {
  if (record.status === 'complete') return decodeResult(record.result, resultSchema);
  const error = record.error ?? { type: 'Error', code: null, message: 'no error was recorded' };
  throw new JobFailed(
    record.jobId,
    record.status as 'failed' | 'dead' | 'aborted' | 'expired',
    error.type,
    error.code,
    error.message,
  );
}

/** The stored (wire) form back to what the handler returned: `isoDate` strings become `Date`s again. */
function decodeResult(value: unknown, schema: z.ZodType | undefined): unknown {
  if (!schema) return value;
  const decoded = schema.safeParse(value);
  return decoded.success ? decoded.data : value;
}

function toDate(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}
