import type { z } from 'zod';

/**
 * Every error the runtime throws on purpose carries a stable `code`, so callers can branch on
 * `err.code` even when two copies of the package are loaded and `instanceof` fails.
 * The codes are listed in docs/errors.md and never change meaning.
 */
export abstract class ArqError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown by a handler to ask for another attempt, after `defer` ms or, without it, after the backoff. */
export class Retry extends ArqError {
  readonly code = 'RETRY';
  /** Delay before the next attempt in milliseconds; `undefined` uses the worker's backoff. */
  readonly defer: number | undefined;

  constructor(options: { defer?: number; message?: string } = {}) {
    super(
      options.message ?? (options.defer === undefined ? 'retry requested' : `retry requested in ${options.defer} ms`),
    );
    if (options.defer !== undefined && (!Number.isFinite(options.defer) || options.defer < 0)) {
      throw new RangeError(`Retry defer must be a finite number of milliseconds >= 0, got ${options.defer}`);
    }
    this.defer = options.defer;
  }
}

/** Thrown by a handler when another attempt cannot help: the job goes to the dead-letter queue at once. */
export class NonRetryable extends ArqError {
  readonly code = 'NON_RETRYABLE';
}

/**
 * Why a job on a classic queue was dead-lettered after its delivery was returned too often without
 * an outcome (its worker died each time; docs/reliability.md). Quorum queues do this in the broker.
 */
export class DeliveryLimitExceeded extends ArqError {
  readonly code = 'DELIVERY_LIMIT_EXCEEDED';
  constructor(readonly returns: number) {
    super(`delivery returned ${returns} times without an outcome (its worker died or lost its connection each time)`);
  }
}

/** The reason of `ctx.signal` when an attempt runs past its timeout. */
export class JobTimeout extends ArqError {
  readonly code = 'JOB_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`job timed out after ${timeoutMs} ms`);
  }
}

/** The reason of `ctx.signal` when the job was aborted on request. */
export class JobAborted extends ArqError {
  readonly code = 'JOB_ABORTED';
}

/** The reason of `ctx.signal` when the worker shuts down before the job finished; the job is requeued. */
export class WorkerShutdown extends ArqError {
  readonly code = 'WORKER_SHUTDOWN';
}

/** Arguments that fail the job's schema: at enqueue nothing is published; at the worker the job is dead-lettered. */
export class InvalidJobArgs extends ArqError {
  readonly code = 'INVALID_JOB_ARGS';
  constructor(
    readonly jobName: string,
    readonly issues: readonly z.core.$ZodIssue[],
    detail?: string,
  ) {
    super(`invalid arguments for job "${jobName}": ${detail ?? formatIssues(issues)}`);
  }
}

/** A handler returned a value that fails the job's result schema; not retried. */
export class InvalidJobResult extends ArqError {
  readonly code = 'INVALID_JOB_RESULT';
  constructor(
    readonly jobName: string,
    readonly issues: readonly z.core.$ZodIssue[],
    detail?: string,
  ) {
    super(`invalid result from job "${jobName}": ${detail ?? formatIssues(issues)}`);
  }
}

/** A message names a job no handler is registered for. */
export class UnknownJob extends ArqError {
  readonly code = 'UNKNOWN_JOB';
  constructor(readonly jobName: string) {
    super(`no handler is registered for job "${jobName}"`);
  }
}

/** A message was written by a newer major wire version than this runtime reads. */
export class UnsupportedWireVersion extends ArqError {
  readonly code = 'UNSUPPORTED_WIRE_VERSION';
  constructor(readonly version: string) {
    super(`message uses wire version ${version}; this runtime reads version 1: upgrade the worker and replay the DLQ`);
  }
}

/** A message body that is not a JSON object in the documented shape. */
export class InvalidMessage extends ArqError {
  readonly code = 'INVALID_MESSAGE';
}

/** Job status and results need a result store, which this client or worker was not given. */
export class ResultStoreRequired extends ArqError {
  readonly code = 'RESULT_STORE_REQUIRED';
  constructor() {
    super('job status and results need a result store; none is configured');
  }
}

/** The result store (Redis) did not answer; the job itself is not affected, only what is known about it. */
export class ResultStoreUnavailable extends ArqError {
  readonly code = 'RESULT_STORE_UNAVAILABLE';
}

/** `job.result({ timeout })` reached its timeout before the job finished; the job goes on. */
export class ResultTimeout extends ArqError {
  readonly code = 'RESULT_TIMEOUT';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

/**
 * What `job.result()` throws when the job ended without a result: `status` says how it ended
 * (`failed`, `dead`, `aborted`, `expired`), `errorType`/`errorCode` and the message say why.
 */
export class JobFailed extends ArqError {
  readonly code = 'JOB_FAILED';
  constructor(
    readonly jobId: string,
    readonly status: 'failed' | 'dead' | 'aborted' | 'expired',
    readonly errorType: string,
    readonly errorCode: string | null,
    message: string,
  ) {
    super(`job ${jobId} ${status}: ${errorType}${errorCode ? ` (${errorCode})` : ''}: ${message}`);
  }
}

/** A job id that no record in the result store holds (never enqueued with a store, or expired). */
export class JobNotFound extends ArqError {
  readonly code = 'JOB_NOT_FOUND';
  constructor(readonly jobId: string) {
    super(`no job ${jobId} in the result store (never enqueued with a store, or its record expired)`);
  }
}

/** Settings that fail validation; the message lists every bad field. */
export class InvalidSettings extends ArqError {
  readonly code = 'INVALID_SETTINGS';
}

/** The broker refused our topology or credentials (403, 406): reconnecting cannot fix it. */
export class BrokerConfigurationError extends ArqError {
  readonly code = 'BROKER_CONFIGURATION';
}

/** The broker could not be reached, or came back too late, within the deadline. */
export class ConnectionUnavailable extends ArqError {
  readonly code = 'CONNECTION_UNAVAILABLE';
}

/** The connection dropped after the job was published and before the broker confirmed it. */
export class EnqueueUnconfirmed extends ArqError {
  readonly code = 'ENQUEUE_UNCONFIRMED';
}

/** The broker returned a mandatory publish: no queue was bound to receive it. */
export class PublishReturned extends ArqError {
  readonly code = 'PUBLISH_RETURNED';
}

/** The broker refused (nacked) a publish. */
export class PublishNacked extends ArqError {
  readonly code = 'PUBLISH_NACKED';
}

/** The encoded job is larger than `maxMessageBytes`. */
export class MessageTooLarge extends ArqError {
  readonly code = 'MESSAGE_TOO_LARGE';
}

/** A deferral longer than the delay topology can hold, or a `deferUntil` after `expiresIn` / `expiresAt`. */
export class InvalidSchedule extends ArqError {
  readonly code = 'INVALID_SCHEDULE';
}

/** The job's `expires` deadline passed before it could run. */
export class JobExpired extends ArqError {
  readonly code = 'JOB_EXPIRED';
}

/** The client or worker was used after `close()`. */
export class Closed extends ArqError {
  readonly code = 'CLOSED';
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** `code` of any error, ours or not; lets callers branch without `instanceof`. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
