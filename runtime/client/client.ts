/**
 * The producer side: validates, encodes and publishes jobs, resolving only once the broker has
 * confirmed each one into a queue that a worker will consume.
 */
import { z } from 'zod';
import { BrokerConnection } from '../transport/connection.js';
import type { ManagedChannel } from '../transport/connection.js';
import type { AmqpConfirmChannel } from '../transport/amqp-model.js';
import { ConfirmPublisher } from '../transport/confirm-publisher.js';
import type { OutgoingMessage } from '../transport/confirm-publisher.js';
import { MAX_DELAY_MS, routeDelay } from '../topology/delay-topology.js';
import {
  Closed,
  InvalidJobArgs,
  InvalidSchedule,
  InvalidEnqueueOptions,
  MessageTooLarge,
  ResultStoreRequired,
} from '../errors.js';
import { Job, TrackedJob } from './job.js';
import { ResultStore } from '../results/result-store.js';
import { storedError } from '../results/job-record.js';
import type { JobRecord } from '../results/job-record.js';
import { RuntimeLog } from '../messages.js';
import { QueueTopology } from '../topology/queue-topology.js';
import { queueNameSchema, resolveClientSettings } from '../settings/settings.js';
import type { ResolvedClientSettings } from '../settings/settings.js';
import type { ClientSettings, EnqueueOptions } from '../types.js';
import { MAX_JOB_ID_BYTES, encodeJobBody, jobPublishOptions, newJobId } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';

/** What the typed API passes along with a job: its schemas and its queue. */
export interface JobSpec {
  args?: z.ZodType;
  /** Decodes what `TrackedJob.result()` reads back (`isoDate` strings become `Date`s). */
  result?: z.ZodType;
  queue?: string;
}

/** Settings with a result store: the client's jobs are then `TrackedJob`s (status, result, abort). */
export interface WithResultStore {
  resultStore: string;
}

/** Keeps a mistyped setting a compile error although `S` is inferred from the object literal. */
export type NoUnknownSettings<S> = Record<Exclude<keyof S, keyof ClientSettings>, never>;

/**
 * What enqueueing returns under settings `S`: a `TrackedJob` when `S` names a result store, a plain
 * `Job` otherwise, so `job.result()` without a store is a compile error, not a run-time throw.
 */

export type JobHandle<S, R = unknown> = S extends WithResultStore ? TrackedJob<R> : Job<R>;

export interface EnqueueRequest {
  name: string;
  args?: Record<string, unknown>;
  options?: EnqueueOptions;
  definition?: JobSpec;
}

interface PreparedJob {
  job: Job;
  message: OutgoingMessage;
  record: JobRecord | undefined;
  resultSchema: z.ZodType | undefined;
}

export class RabbitMQClient<S extends ClientSettings = ClientSettings> {
  /** Only in the type: whether the settings name a result store, which decides `JobHandle`. */
  declare readonly tracksJobs?: S extends WithResultStore ? true : false;
  readonly settings: ResolvedClientSettings;
  private readonly log: RuntimeLog;
  private connection: BrokerConnection | undefined;
  private publisher: ConfirmPublisher | undefined;
  private store: ResultStore | undefined;
  private topology: QueueTopology | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Queue names already checked: the check runs once per name, not once per job. */
  private readonly validQueueNames = new Set<string>();

  /** Validates the settings at once; throws InvalidSettings listing every bad field. */
  constructor(settings: S & NoUnknownSettings<S> = {} as S & NoUnknownSettings<S>) {
    this.settings = resolveClientSettings(settings);
    this.log = new RuntimeLog(this.settings.logger, this.settings.locale, this.settings.logLevel);
  }

  /** Connects within `connectionTimeout`. Safe to call again or concurrently; enqueue calls it too. */
  connect(): Promise<void> {
    if (this.closing) return Promise.reject(new Closed('client is closed'));
    this.connecting ??= (async () => {
      const storeSettings = this.settings.resultStore;
      if (storeSettings && !this.store)
        this.store = await ResultStore.open({ ...storeSettings, connectionTimeout: this.settings.connectionTimeout });
      const connection = await BrokerConnection.open({
        urls: this.settings.urls,
        connectionTimeout: this.settings.connectionTimeout,
        heartbeat: this.settings.heartbeat,
        tls: this.settings.tls,
        connectionName: this.settings.connectionName ?? `rabbitmq-arq client ${process.pid}`,
        log: this.log,
      });
      const publishChannel: ManagedChannel<AmqpConfirmChannel> = connection.confirmChannel('publish');
      this.connection = connection;
      this.publisher = new ConfirmPublisher(publishChannel);
      this.topology = new QueueTopology(
        connection.channel('declare'),
        this.settings.queueType,
        this.settings.delayPrefix,
        { initialGroupSize: this.settings.quorumInitialGroupSize },
      );
    })();
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Closes the connection; idempotent (a second call returns the first one's promise). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.connecting?.catch(() => undefined);
      await Promise.all([this.connection?.close(), this.store?.close()]);
    })();
    return this.closing;
  }

  /**
   * Publishes one job and resolves once the broker confirmed it. With `definition.args`, the
   * arguments are parsed by that schema (defaults filled, unknown keys stripped) and encoded for the
   * wire; a failure throws InvalidJobArgs and publishes nothing.
   */
  async enqueueJob<R = unknown>(
    name: string,
    args: Record<string, unknown> = {},
    options: EnqueueOptions = {},
    definition: JobSpec = {},
  ): Promise<JobHandle<S, R>> {
    // The one-job path of enqueueJobs without its batch bookkeeping: this is the call producers make per job.
    const prepared = this.prepare({ name, args, options, definition }, new Date());
    if (!this.connection) await this.connect();
    const deadline = Date.now() + this.settings.connectionTimeout;
    const topology = this.topology as QueueTopology;
    const queue = prepared.job.queueName;
    if (!topology.isDeclared(queue)) await topology.ensureJobQueue(queue, deadline);
    if (prepared.record) {
      const holder = await this.claim(prepared);
      if (holder) return holder as JobHandle<S, R>;
    }
    await this.publishRecorded(prepared, deadline);
    return this.handle(prepared) as JobHandle<S, R>;
  }

  /**
   * The job `jobId` as the result store knows it, or `null` without a record. Needs a result
   * store: on a client without one this does not compile.
   */
  async getJob<R = unknown>(
    this: RabbitMQClient<WithResultStore>,
    jobId: string,
    resultSchema?: z.ZodType<R>,
  ): Promise<TrackedJob<R> | null> {
    if (!this.settings.resultStore) throw new ResultStoreRequired();
    if (!this.connection) await this.connect();
    const record = await (this.store as ResultStore).get(jobId);
    if (!record) return null;
    const job = new Job<R>(
      record.jobId,
      record.functionName,
      record.queueName,
      new Date(record.enqueueTime ?? Date.now()),
      record.deferUntil ? new Date(record.deferUntil) : null,
    );
    return new TrackedJob<R>(job, this.store as ResultStore, resultSchema);
  }

  /** Writes the job's first record; a job already holding the id is returned instead (dedup). */
  private async claim(prepared: PreparedJob): Promise<TrackedJob | undefined> {
    const existing = await (this.store as ResultStore).claim(prepared.record as JobRecord);
    if (!existing) return undefined;
    const job = new Job(
      existing.jobId,
      existing.functionName,
      existing.queueName,
      new Date(existing.enqueueTime ?? Date.now()),
      existing.deferUntil ? new Date(existing.deferUntil) : null,
    );
    return new TrackedJob(job, this.store as ResultStore, prepared.resultSchema);
  }

  /** Publishes; when that fails, the record says so (and frees the id) before the error is thrown. */
  private async publishRecorded(prepared: PreparedJob, deadline: number): Promise<void> {
    try {
      await (this.publisher as ConfirmPublisher).publish(prepared.message, deadline);
    } catch (err) {
      if (prepared.record) {
        const failed: JobRecord = {
          ...prepared.record,
          status: 'failed',
          endTime: new Date().toISOString(),
          error: storedError(err),
          enqueueFailed: true,
        };
        await (this.store as ResultStore).put(failed).catch(() => undefined);
      }
      throw err;
    }
  }

  private handle(prepared: PreparedJob): Job | TrackedJob {
    return this.store ? new TrackedJob(prepared.job, this.store, prepared.resultSchema) : prepared.job;
  }

  /**
   * Publishes a batch and waits once for all confirms. Every job is validated before anything is
   * published; if one publish fails the others may still be queued (each rejects on its own cause,
   * the first failure is thrown).
   */
  async enqueueJobs(requests: readonly EnqueueRequest[]): Promise<Array<JobHandle<S>>> {
    const now = new Date();
    const prepared = requests.map((request) => this.prepare(request, now));
    if (!this.connection) await this.connect();
    const deadline = Date.now() + this.settings.connectionTimeout;
    const topology = this.topology as QueueTopology;
    const publisher = this.publisher as ConfirmPublisher;
    const undeclared = new Set(prepared.map((p) => p.job.queueName).filter((queue) => !topology.isDeclared(queue)));
    await Promise.all([...undeclared].map((queue) => topology.ensureJobQueue(queue, deadline)));
    // With a store, each record is claimed first; a job whose id is taken is not published again.
    const holders = this.store ? await Promise.all(prepared.map((p) => this.claim(p))) : [];
    const results = await Promise.allSettled(
      prepared.map((p, i) =>
        holders[i]
          ? undefined
          : this.store
            ? this.publishRecorded(p, deadline)
            : publisher.publish(p.message, deadline),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return prepared.map((p, i) => holders[i] ?? this.handle(p)) as Array<JobHandle<S>>;
  }

  private prepare(request: EnqueueRequest, now: Date): PreparedJob {
    if (this.closing) throw new Closed('client is closed');
    const { name, options = {}, definition = {} } = request;
    const queueName = options.queue ?? definition.queue ?? this.settings.queue;
    if (!this.validQueueNames.has(queueName)) {
      const queueCheck = queueNameSchema.safeParse(queueName);
      if (!queueCheck.success)
        throw new InvalidEnqueueOptions(
          `queue name "${queueName}" ${queueCheck.error.issues[0]?.message ?? 'is invalid'}`,
        );
      this.validQueueNames.add(queueName);
    }

    if (options.jobId !== undefined && (options.jobId === '' || Buffer.byteLength(options.jobId) > MAX_JOB_ID_BYTES)) {
      throw new InvalidEnqueueOptions(`jobId must be 1 to ${MAX_JOB_ID_BYTES} bytes (it is the AMQP message_id)`);
    }
    if (Buffer.byteLength(name) > MAX_JOB_ID_BYTES || name === '') {
      throw new InvalidEnqueueOptions(`job name must be 1 to ${MAX_JOB_ID_BYTES} bytes (it is the AMQP type)`);
    }
    const kwargs = definition.args ? encodeArgs(name, definition.args, request.args ?? {}) : (request.args ?? {});
    const { deferUntil, expires } = schedule(options, now);

    const envelope: JobEnvelope = {
      jobId: options.jobId ?? newJobId(),
      functionName: name,
      args: [],
      kwargs,
      jobTry: 1,
      enqueueTime: now,
      queueName,
      deferUntil,
      expires,
    };
    const body = encodeJobBody(envelope);
    if (body.length > this.settings.maxMessageBytes) {
      throw new MessageTooLarge(
        `job "${name}" encodes to ${body.length} bytes, over maxMessageBytes (${this.settings.maxMessageBytes}); pass a reference (an id, a URL) instead of the data`,
      );
    }
    const route = deferUntil
      ? routeDelay(this.settings.delayPrefix, queueName, deferUntil.getTime() - now.getTime())
      : undefined;
    const record: JobRecord | undefined = this.settings.resultStore && {
      jobId: envelope.jobId,
      status: deferUntil ? 'deferred' : 'queued',
      functionName: name,
      queueName,
      tries: 0,
      enqueueTime: now.toISOString(),
      deferUntil: deferUntil?.toISOString() ?? null,
      startTime: null,
      endTime: null,
      worker: null,
      error: null,
    };
    return {
      record,
      resultSchema: definition.result,
      job: new Job(envelope.jobId, name, queueName, now, deferUntil),
      message: {
        exchange: route ? route.exchange : '',
        routingKey: route ? route.routingKey : queueName,
        body,
        options: jobPublishOptions(envelope) as OutgoingMessage['options'],
      },
    };
  }
}

/** Parses with the job's schema, then encodes to the wire form (`isoDate` → ISO string). */
export function encodeArgs(name: string, schema: z.ZodType, args: unknown): Record<string, unknown> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new InvalidJobArgs(name, parsed.error.issues);
  const encoded = z.encode(schema, parsed.data) as unknown;
  if (typeof encoded !== 'object' || encoded === null || Array.isArray(encoded)) {
    throw new InvalidJobArgs(name, [], 'the args schema must describe an object');
  }
  return encoded as Record<string, unknown>;
}

function schedule(options: EnqueueOptions, now: Date): { deferUntil: Date | null; expires: Date | null } {
  if (options.deferBy !== undefined && options.deferUntil !== undefined)
    throw new InvalidSchedule('give deferBy or deferUntil, not both');
  if (options.deferBy !== undefined && !(Number.isFinite(options.deferBy) && options.deferBy >= 0))
    throw new InvalidSchedule(`deferBy must be a number of milliseconds >= 0, got ${options.deferBy}`);
  if (
    options.deferUntil !== undefined &&
    !(options.deferUntil instanceof Date && !Number.isNaN(options.deferUntil.getTime()))
  )
    throw new InvalidSchedule('deferUntil must be a valid Date');
  let deferUntil =
    options.deferBy !== undefined ? new Date(now.getTime() + options.deferBy) : (options.deferUntil ?? null);
  if (deferUntil && deferUntil.getTime() <= now.getTime()) deferUntil = null;
  if (deferUntil && deferUntil.getTime() - now.getTime() > MAX_DELAY_MS) {
    throw new InvalidSchedule(
      `a job can be deferred by at most ${MAX_DELAY_MS} ms (about ${Math.floor(MAX_DELAY_MS / 86_400_000)} days); got ${deferUntil.getTime() - now.getTime()} ms`,
    );
  }
  if (options.expiresIn !== undefined && options.expiresAt !== undefined)
    throw new InvalidSchedule('give expiresIn or expiresAt, not both');
  if (options.expiresIn !== undefined && !(Number.isFinite(options.expiresIn) && options.expiresIn > 0))
    throw new InvalidSchedule(`expiresIn must be a number of milliseconds > 0, got ${options.expiresIn}`);
  if (
    options.expiresAt !== undefined &&
    !(options.expiresAt instanceof Date && !Number.isNaN(options.expiresAt.getTime()))
  )
    throw new InvalidSchedule('expiresAt must be a valid Date');
  const expires =
    options.expiresIn !== undefined ? new Date(now.getTime() + options.expiresIn) : (options.expiresAt ?? null);
  if (expires && deferUntil && deferUntil.getTime() >= expires.getTime())
    throw new InvalidSchedule(
      `the job is deferred until ${deferUntil.toISOString()}, not before it expires at ${expires.toISOString()}`,
    );
  return { deferUntil, expires };
}
