/**
 * The producer side: validates, encodes and publishes jobs, resolving only once the broker has
 * confirmed each one into a queue that a worker will consume.
 */
import { z } from 'zod';
import { BrokerConnection } from '../transport/connection.js';
import type { ManagedChannel } from '../transport/connection.js';
import type { ConfirmChannel } from 'amqplib';
import { ConfirmPublisher } from '../transport/confirm-publisher.js';
import type { OutgoingMessage } from '../transport/confirm-publisher.js';
import { MAX_DELAY_MS, routeDelay } from '../topology/delay-topology.js';
import { Closed, InvalidJobArgs, InvalidSchedule, InvalidSettings, MessageTooLarge } from '../errors.js';
import { Job } from './job.js';
import { RuntimeLog } from '../messages.js';
import { QueueTopology } from '../topology/queue-topology.js';
import { queueNameSchema, resolveClientSettings } from '../settings/settings.js';
import type { ResolvedClientSettings } from '../settings/settings.js';
import type { ClientSettings, EnqueueOptions } from '../types.js';
import { MAX_JOB_ID_BYTES, encodeJobBody, jobPublishOptions, newJobId } from '../wire-format.js';
import type { JobEnvelope } from '../wire-format.js';

/** What generated code passes along with a job: its argument schema and its queue. */
export interface JobSpec {
  args?: z.ZodType;
  queue?: string;
}

export interface EnqueueRequest {
  name: string;
  args?: Record<string, unknown>;
  options?: EnqueueOptions;
  definition?: JobSpec;
}

interface PreparedJob {
  job: Job;
  message: OutgoingMessage;
}

export class RabbitMQClient {
  readonly settings: ResolvedClientSettings;
  private readonly log: RuntimeLog;
  private connection: BrokerConnection | undefined;
  private publisher: ConfirmPublisher | undefined;
  private topology: QueueTopology | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Queue names already checked: the check runs once per name, not once per job. */
  private readonly validQueueNames = new Set<string>();

  /** Validates the settings at once; throws InvalidSettings listing every bad field. */
  constructor(settings: ClientSettings = {}) {
    this.settings = resolveClientSettings(settings);
    this.log = new RuntimeLog(this.settings.logger, this.settings.locale, this.settings.logLevel);
  }

  /** Connects within `connectionTimeout`. Safe to call again or concurrently; enqueue calls it too. */
  connect(): Promise<void> {
    if (this.closing) return Promise.reject(new Closed('client is closed'));
    this.connecting ??= (async () => {
      const connection = await BrokerConnection.open({
        url: this.settings.url,
        connectionTimeout: this.settings.connectionTimeout,
        heartbeat: this.settings.heartbeat,
        connectionName: this.settings.connectionName ?? `rabbitmq-arq client ${process.pid}`,
        log: this.log,
      });
      const publishChannel: ManagedChannel<ConfirmChannel> = connection.confirmChannel('publish');
      this.connection = connection;
      this.publisher = new ConfirmPublisher(publishChannel);
      this.topology = new QueueTopology(
        connection.channel('declare'),
        this.settings.queueType,
        this.settings.delayPrefix,
      );
    })();
    this.connecting.catch(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Closes the connection; idempotent (a second call returns the first one's promise). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.connecting?.catch(() => undefined);
      await this.connection?.close();
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
  ): Promise<Job<R>> {
    // The one-job path of enqueueJobs without its batch bookkeeping: this is the call producers make per job.
    const prepared = this.prepare({ name, args, options, definition }, new Date());
    if (!this.connection) await this.connect();
    const deadline = Date.now() + this.settings.connectionTimeout;
    const topology = this.topology as QueueTopology;
    const queue = prepared.job.queueName;
    if (!topology.isDeclared(queue)) await topology.ensureJobQueue(queue, deadline);
    await (this.publisher as ConfirmPublisher).publish(prepared.message, deadline);
    return prepared.job as Job<R>;
  }

  /**
   * Publishes a batch and waits once for all confirms. Every job is validated before anything is
   * published; if one publish fails the others may still be queued (each rejects on its own cause,
   * the first failure is thrown).
   */
  async enqueueJobs(requests: readonly EnqueueRequest[]): Promise<Job[]> {
    const now = new Date();
    const prepared = requests.map((request) => this.prepare(request, now));
    if (!this.connection) await this.connect();
    const deadline = Date.now() + this.settings.connectionTimeout;
    const topology = this.topology as QueueTopology;
    const publisher = this.publisher as ConfirmPublisher;
    const undeclared = new Set(prepared.map((p) => p.job.queueName).filter((queue) => !topology.isDeclared(queue)));
    await Promise.all([...undeclared].map((queue) => topology.ensureJobQueue(queue, deadline)));
    const results = await Promise.allSettled(prepared.map((p) => publisher.publish(p.message, deadline)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return prepared.map((p) => p.job);
  }

  private prepare(request: EnqueueRequest, now: Date): PreparedJob {
    if (this.closing) throw new Closed('client is closed');
    const { name, options = {}, definition = {} } = request;
    const queueName = options.queueName ?? definition.queue ?? this.settings.defaultQueue;
    if (!this.validQueueNames.has(queueName)) {
      const queueCheck = queueNameSchema.safeParse(queueName);
      if (!queueCheck.success)
        throw new InvalidSettings(`queue name "${queueName}" ${queueCheck.error.issues[0]?.message ?? 'is invalid'}`);
      this.validQueueNames.add(queueName);
    }

    if (options.jobId !== undefined && (options.jobId === '' || Buffer.byteLength(options.jobId) > MAX_JOB_ID_BYTES)) {
      throw new InvalidSettings(`jobId must be 1 to ${MAX_JOB_ID_BYTES} bytes (it is the AMQP message_id)`);
    }
    if (Buffer.byteLength(name) > MAX_JOB_ID_BYTES || name === '') {
      throw new InvalidSettings(`job name must be 1 to ${MAX_JOB_ID_BYTES} bytes (it is the AMQP type)`);
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
    return {
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
  let expires: Date | null = null;
  if (options.expires !== undefined) {
    expires = typeof options.expires === 'number' ? new Date(now.getTime() + options.expires) : options.expires;
    if (
      !(expires instanceof Date) ||
      Number.isNaN(expires.getTime()) ||
      (typeof options.expires === 'number' && !(options.expires > 0))
    ) {
      throw new InvalidSchedule('expires must be a number of milliseconds > 0 or a valid Date');
    }
    if (deferUntil && deferUntil.getTime() >= expires.getTime())
      throw new InvalidSchedule(
        `the job is deferred until ${deferUntil.toISOString()}, not before it expires at ${expires.toISOString()}`,
      );
  }
  return { deferUntil, expires };
}
