import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Logger, LogLevel, Locale } from './logger.js';
import type { ScheduleSpec } from './schedules/schedule.js';

/** `quorum` (replicated, delivery limit, broker-side poison-message protection) or `classic` (what Python producers declare). */
export type QueueType = 'quorum' | 'classic';

/**
 * TLS for an `amqps://` URL (docs/tls.md). PEM text or a file path for each; a file is read once, when
 * the client or worker is constructed. `ARQ_TLS_CA_FILE`, `ARQ_TLS_CERT_FILE`, `ARQ_TLS_KEY_FILE` and
 * `ARQ_TLS_SERVERNAME` fill in what is not set here.
 */
export interface TlsSettings {
  /** CA certificate(s) that signed the broker's certificate, in place of Node's default CAs. */
  ca?: string | Buffer | Array<string | Buffer>;
  caFile?: string;
  /** Client certificate, for a broker with `ssl_options.verify = verify_peer`. */
  cert?: string | Buffer;
  certFile?: string;
  /** The client certificate's private key. */
  key?: string | Buffer;
  keyFile?: string;
  /** Passphrase of the key. */
  passphrase?: string;
  /** Name the broker's certificate must carry. @defaultValue the URL's host name (none for an IP address) */
  servername?: string;
  /** `false` accepts any certificate: for a test bench only, never in production. @defaultValue true */
  rejectUnauthorized?: boolean;
}

/** Connection settings shared by clients and workers. */
export interface RabbitMQSettings {
  /**
   * AMQP URL, or the nodes of a cluster: an array of URLs or one string of comma-separated URLs.
   * The connection starts on a node picked at random (so workers spread) and, when it loses it,
   * moves to the next one; every node must name the same vhost and credentials. Credentials in it
   * are never logged. `memory://<name>` runs on an in-process broker (tests, demos): no RabbitMQ,
   * nothing survives the process.
   * @defaultValue `process.env.AMQP_URL` (comma-separated) or `amqp://guest:guest@localhost:5672`
   */
  url?: string | readonly string[];
  /**
   * How long the first connect, and each enqueue during an outage, may wait for the broker (ms).
   * @defaultValue 30_000
   */
  connectionTimeout?: number;
  /**
   * AMQP heartbeat interval (ms, rounded up to whole seconds on the wire).
   * @defaultValue 60_000
   */
  heartbeat?: number;
  /** TLS for an `amqps://` URL: CA, client certificate and key, server name (docs/tls.md). */
  tls?: TlsSettings;
  /**
   * Name of the AMQP connection, as `rabbitmqctl list_connections client_properties` and the
   * management UI show it.
   * @defaultValue `rabbitmq-arq client <pid>` or `rabbitmq-arq worker <workerName>`
   */
  connectionName?: string;
  /**
   * Members a new quorum queue starts with (`x-quorum-initial-group-size`): job queues, their DLQs
   * and the delay ladder (docs/topology.md). It is part of each queue's arguments, which cannot
   * change once the queue exists: set it before the queues are first declared, and the same on every
   * client and worker of the vhost, or the broker refuses the declare (406). Not set, no argument is
   * sent and RabbitMQ's default applies (on 3.10, a member on every node of the cluster).
   * @defaultValue not set (the broker's default)
   */
  quorumInitialGroupSize?: number;
  /**
   * Prefix of the shared delay topology; names are `<prefix>.delay.v2.*`. Every client and worker
   * of a vhost must use the same prefix.
   * @defaultValue `arq`
   */
  delayPrefix?: string;
  /**
   * Minimum level of log lines.
   * @defaultValue `info` for a worker; `warn` for a client and for a worker on `memory://`, so a
   * producer script or a test prints only warnings and errors unless asked
   */
  logLevel?: LogLevel;
  /**
   * Language of log lines.
   * @defaultValue `zh-CN` when `LANG` starts with `zh`, else `en`
   */
  locale?: Locale;
  /** Where log lines go; defaults to a logger writing to stderr (human lines on a terminal, JSON otherwise). */
  logger?: Logger;
}

/** Settings of a {@link RabbitMQClient}. */
/** Where job records (status, result, error) live; shared by the client and the worker (docs/results.md). */
export interface ResultStoreSettings {
  /**
   * Redis URL of the result store, e.g. `redis://localhost:6379/0`. Without it jobs run as usual
   * and nothing records their status or result.
   */
  resultStore?: string;
  /**
   * Prefix of every Redis key and channel the store uses.
   * @defaultValue `arq:`
   */
  resultKeyPrefix?: string;
  /**
   * How long a job's record lives after its last change (ms).
   * @defaultValue 86_400_000
   */
  jobResultTtl?: number;
}

export interface ClientSettings extends RabbitMQSettings, ResultStoreSettings {
  /**
   * Queue a job goes to when neither the job nor the enqueue names one.
   * @defaultValue `default`
   */
  queue?: string;
  /**
   * Type of the queues this client declares; must match the workers'.
   * @defaultValue `quorum`
   */
  queueType?: QueueType;
  /**
   * Largest encoded job body accepted at enqueue (bytes).
   * @defaultValue 1_048_576
   */
  maxMessageBytes?: number;
}

/** Options of one enqueue. */
export interface EnqueueOptions {
  /** Job id (32 lowercase hex characters are generated when absent). */
  jobId?: string;
  /** Run no earlier than this many ms from now. */
  deferBy?: number;
  /** Run no earlier than this time. */
  deferUntil?: Date;
  /**
   * Dead-letter the job as expired if it has not run within this many ms from now: one deadline for
   * every attempt (the wire's `expires`).
   */
  expiresIn?: number;
  /** Dead-letter the job as expired if it has not run by this time (the wire's `expires`). */
  expiresAt?: Date;
  /** Queue to publish to; overrides the job's and the client's `queue`. */
  queue?: string;
}

/** What `ctx.state` holds: whatever `onStartup` put there. */
export type WorkerState = Record<string, unknown>;

/** First argument of every handler. */
export interface JobContext<State extends WorkerState = WorkerState> {
  readonly jobId: string;
  /** Attempt number, 1 for the first run. */
  readonly jobTry: number;
  readonly functionName: string;
  readonly queueName: string;
  readonly enqueueTime: Date;
  /** The broker delivered this message before (a worker died or shut down while holding it). */
  readonly redelivered: boolean;
  /** The tick a schedule fired this job for (docs/scheduling.md); undefined for any other job. */
  readonly tick: Date | undefined;
  /** Aborts on timeout (`JobTimeout`), abort (`JobAborted`) or shutdown (`WorkerShutdown`); see `signal.reason`. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly state: State;
}

/** A job handler: `(ctx, args) => result`. */
export type JobHandler<Args = never, Result = unknown, State extends WorkerState = WorkerState> = (
  ctx: JobContext<State>,
  args: Args,
) => Promise<Result> | Result;

/** Per-job registration: a handler with its schema and per-job overrides. */
export interface JobRegistration<Args = never, Result = unknown, State extends WorkerState = WorkerState> {
  handler: JobHandler<Args, Result, State>;
  /** Schema the arguments are parsed (decoded) with; without one, `kwargs` reach the handler as they are. */
  args?: z.ZodType;
  /** Schema the result is validated against. */
  result?: z.ZodType;
  /** Queue this job is consumed from; defaults to the worker's `queue`. */
  queue?: string;
  /** Attempts after the first; overrides the worker's `maxRetries`. */
  maxRetries?: number;
  /** Attempt timeout in ms; overrides the worker's `jobTimeout`. */
  timeout?: number;
  /** Recurring ticks of this job, fired once per tick across all workers (docs/scheduling.md). */
  schedules?: readonly ScheduleSpec[];
}

/** Handlers of a worker, by job name (names match the wire's `function` verbatim). */
export type HandlerMap<State extends WorkerState = WorkerState> = Record<
  string,
  // Handlers take their own argument types; `any` is what lets each of them into one record.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  JobHandler<any, unknown, State> | JobRegistration<any, unknown, State>
>;

/** How a job attempt ended, as `onJobEnd` sees it. */
export type JobOutcome =
  | { status: 'complete'; result: unknown }
  | { status: 'retry'; error: unknown; delay: number }
  | { status: 'dead'; error: unknown; category: DeadLetterCategory }
  | { status: 'requeued'; reason: 'shutdown' }
  /** Stopped by `job.abort()`, before or while it ran; acked, not retried, not dead-lettered. */
  | { status: 'aborted'; error: unknown };

/** `x-error-category` of a dead-lettered message. */
export type DeadLetterCategory = 'retriable' | 'non_retriable' | 'invalid' | 'expired' | 'aborted' | 'unknown_job';

/** Burst mode: process what is queued, then exit (docs/worker.md). */
export interface BurstSettings {
  /**
   * Longest a burst run may take (ms); then the worker stops as on SIGTERM.
   * @defaultValue 300_000
   */
  timeout?: number;
  /**
   * How often the queue is checked for emptiness (ms).
   * @defaultValue 1_000
   */
  checkInterval?: number;
  /**
   * Wait for running jobs before exiting; `false` aborts and requeues them.
   * @defaultValue true
   */
  waitForTasks?: boolean;
}

/** Settings of a {@link Worker}. */
export interface WorkerSettings<State extends WorkerState = WorkerState> extends RabbitMQSettings, ResultStoreSettings {
  /** Handlers by job name; the generated `createWorker` fills this from `jobs.schema.ts`. */
  handlers: HandlerMap<State>;
  /**
   * Queue of the jobs whose registration names none; `<queue>_dlq` is its dead-letter queue.
   * @defaultValue `default`
   */
  queue?: string;
  /**
   * Type of the queues this worker declares; `classic` lets Python producers share them.
   * @defaultValue `quorum`
   */
  queueType?: QueueType;
  /**
   * Name in logs.
   * @defaultValue `<hostname>-<pid>`
   */
  workerName?: string;
  /**
   * Handlers running at once, across all queues of this worker.
   * @defaultValue 10
   */
  maxConcurrentJobs?: number;
  /**
   * Unacknowledged messages each queue's consumer may hold.
   * @defaultValue `maxConcurrentJobs`
   */
  prefetchCount?: number;
  /**
   * Attempts after the first; per-job values win.
   * @defaultValue 3
   */
  maxRetries?: number;
  /**
   * First retry delay (ms); doubles per attempt, jittered between half and all of it.
   * @defaultValue 5_000
   */
  retryBackoff?: number;
  /**
   * Cap of the retry delay (ms).
   * @defaultValue 300_000
   */
  retryBackoffMax?: number;
  /**
   * Attempt timeout (ms); per-job values win.
   * @defaultValue 300_000
   */
  jobTimeout?: number;
  /**
   * How long the worker waits for the broker to confirm a job's outcome (its retry or dead letter),
   * for example through a connection outage, before it gives up and requeues the delivery instead
   * (ms). A stopping worker waits as long for outcomes still being published.
   * @defaultValue 30_000
   */
  outcomePublishTimeout?: number;
  /**
   * How long a stopping worker waits for running jobs before aborting and requeueing them (ms).
   * @defaultValue 30_000
   */
  gracefulShutdownTimeout?: number;
  /**
   * Period of the stats log line (ms); 0 turns it off.
   * @defaultValue 60_000
   */
  statsInterval?: number;
  /**
   * Port of the HTTP listener with `/healthz`, `/readyz` and `/metrics`; `0` picks a free port
   * (`worker.healthAddress` tells which). Off when not set.
   */
  healthPort?: number;
  /** Address the health listener binds to. @defaultValue `0.0.0.0` */
  healthHost?: string;
  /**
   * A prom-client `Registry` to register the worker's metrics in, for users who already expose
   * one; `/metrics` then serves that registry. @defaultValue a registry of the worker's own
   */
  metricsRegistry?: Registry;
  /**
   * Exit once the queues are drained; `true` uses the burst defaults.
   * @defaultValue false
   */
  burst?: boolean | BurstSettings;
  /**
   * Stop gracefully on SIGTERM and SIGINT (a second signal aborts running jobs at once).
   * @defaultValue true
   */
  handleSignals?: boolean;
  /** Runs before consuming; what it puts in `state` every job sees as `ctx.state`. A throw stops the worker. */
  onStartup?: (state: State) => Promise<void> | void;
  /** Runs after the last job, before the connection closes. */
  onShutdown?: (state: State) => Promise<void> | void;
  /** Runs before each attempt; a throw is logged and changes nothing. */
  onJobStart?: (ctx: JobContext<State>) => Promise<void> | void;
  /** Runs after each attempt with its outcome; a throw is logged and changes nothing. */
  onJobEnd?: (ctx: JobContext<State>, outcome: JobOutcome) => Promise<void> | void;
}
