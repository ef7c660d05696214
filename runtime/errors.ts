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
      // A mistake in the handler's code, which then fails like any error; docs/errors.md documents the RangeError.
      // eslint-disable-next-line no-restricted-syntax -- see above
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

/**
 * Enqueue options no message can carry (a queue name, job id or job name the broker refuses); nothing
 * is published. A bad deferral or expiry is InvalidSchedule.
 */
export class InvalidEnqueueOptions extends ArqError {
  readonly code = 'INVALID_ENQUEUE_OPTIONS';
}

/** The worker's `onStartup` hook threw: the worker did not start consuming. The hook's error is the `cause`. */
export class StartupFailed extends ArqError {
  readonly code = 'STARTUP_FAILED';
}

/** An operation on a queue the broker does not have (the first worker or client that uses a queue declares it). */
export class QueueNotFound extends ArqError {
  readonly code = 'QUEUE_NOT_FOUND';
  constructor(
    readonly queue: string,
    hint?: string,
  ) {
    super(`queue "${queue}" does not exist${hint ? `; ${hint}` : ''}`);
  }
}

/** The RabbitMQ management HTTP API answered with an error status. */
export class ManagementApiError extends ArqError {
  readonly code = 'MANAGEMENT_API';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A module given to `arq-gen` (`-m path:export`) is missing, fails to load, or lacks what the command needs. */
export class InvalidModule extends ArqError {
  readonly code = 'INVALID_MODULE';
}

/** `drain()` of `rabbitmq-arq/testing` was given a URL that is not the in-process broker (`memory://`). */
export class DrainUnsupported extends ArqError {
  readonly code = 'DRAIN_UNSUPPORTED';
}

/** `drain()` of `rabbitmq-arq/testing` still saw jobs waiting or running when its timeout passed. */
export class DrainTimeout extends ArqError {
  readonly code = 'DRAIN_TIMEOUT';
  constructor(
    url: string,
    readonly timeoutMs: number,
  ) {
    super(`${url} still has jobs after ${timeoutMs} ms`);
  }
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

/**
 * When a job is to run cannot be: at enqueue a deferral that is negative or longer than the delay
 * topology can hold, or a `deferUntil` after `expiresIn` / `expiresAt`; at generate time and worker
 * start a schedule (`schedules: [{ cron, tz, ... }]`) with a bad cron expression, time zone or arguments.
 */
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

/** The message of any thrown value on one line (whitespace runs collapsed), for log fields and wrapped messages. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim();
}

/** `code` of any error, ours or not; lets callers branch without `instanceof`. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** A package's own package.json was not found above its modules: the installation is broken. */
export class PackageManifestMissing extends ArqError {
  readonly code = 'PACKAGE_MANIFEST_MISSING';
}

/** A `.ts` module was given to the CLI but tsx, the optional peer dependency that loads TypeScript, is not installed. */
export class TypeScriptLoaderMissing extends ArqError {
  readonly code = 'TYPESCRIPT_LOADER_MISSING';
}

/**
 * `enqueue` without a schema and without `--unchecked`: a misspelt job name would be published, and
 * every worker would dead-letter it as UNKNOWN_JOB. The message names both ways on.
 */
export class UncheckedEnqueueRefused extends ArqError {
  readonly code = 'UNCHECKED_ENQUEUE_REFUSED';
  constructor(readonly job: string) {
    super(
      `not publishing "${job}" unchecked: without a schema nothing checks that a worker knows this job (a typo is dead-lettered as UNKNOWN_JOB); give --schema jobs.schema.ts to check the name and arguments, or --unchecked to publish it as given`,
    );
  }
}
