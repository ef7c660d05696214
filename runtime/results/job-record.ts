/**
 * What the result store keeps of one job, and how it is written: one JSON string per job under
 * `<prefix>job:<id>`, so every change is a single SET that Lua scripts can read and decide on.
 */

/** Where a job stands. The first four are still moving; the rest are final. */
export type JobStatus =
  'queued' | 'deferred' | 'in_progress' | 'retrying' | 'complete' | 'failed' | 'dead' | 'aborted' | 'expired';

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['complete', 'failed', 'dead', 'aborted', 'expired']);

/** A failure as it is stored and handed back by `result()`: enough to branch on, nothing that cannot travel. */
export interface StoredError {
  /** The error's class name, e.g. `NonRetryable`, `JobTimeout`, `TypeError`. */
  type: string;
  /** Our stable code when the error has one (docs/errors.md). */
  code: string | null;
  message: string;
}

/** One job's record. Times are ISO-8601 UTC strings, as everywhere outside the TypeScript API. */
export interface JobRecord {
  jobId: string;
  status: JobStatus;
  functionName: string;
  queueName: string;
  /** Attempts started so far (0 while queued). */
  tries: number;
  enqueueTime: string | null;
  /** When a deferred job or a retry becomes due. */
  deferUntil: string | null;
  startTime: string | null;
  endTime: string | null;
  /** The name of the worker that ran the last attempt. */
  worker: string | null;
  /** The handler's return value, encoded by the job's result schema; only when `status` is `complete`. */
  result?: unknown;
  error: StoredError | null;
  /** Set by `abort()` while the job runs: whichever worker holds it stops it, and a redelivery never runs it. */
  abortRequested?: boolean;
  /**
   * The replay token of the dead-letter replay this attempt came from (`x-arq-replay`): a replayed job
   * runs again over its final record, and a redelivery of that same replay does not.
   */
  replay?: string;
  /** Set when the client's publish failed: the id was never queued, so it may be enqueued again at once. */
  enqueueFailed?: boolean;
}

/** The failure of an attempt in storable form; bounded, as an error message can be anything. */
export function storedError(error: unknown): StoredError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      type: error.name || 'Error',
      code: typeof code === 'string' ? code : null,
      message: error.message.slice(0, 4096),
    };
  }
  return { type: typeof error, code: null, message: String(error).slice(0, 4096) };
}

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.has(status);
}
