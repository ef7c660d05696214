/**
 * One recovering AMQP connection and the long-lived channels opened on it.
 *
 * amqplib 2.x reconnects the connection (its `recovery` option), dialling the next node of the list
 * on each attempt (node-rotation.ts); everything above that is ours:
 * each ManagedChannel re-opens itself whenever its channel closes (connection loss, or the broker
 * closing just that channel, e.g. for the consumer timeout) and re-runs its `onOpen` (declare,
 * prefetch, consume). 403/406 are configuration errors: they fail the channel for good instead of
 * looping. The first connect is bounded by `connectionTimeout`, so a bad URL fails instead of hanging.
 */
import type { Writable } from 'node:stream';
import { coalesceWrites } from './coalesce-writes.js';
import { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { RecoveringChannelModel } from 'amqplib';
import type { AmqpChannel, AmqpConfirmChannel, AmqpModel } from './amqp-model.js';
import { BrokerConfigurationError, Closed, ConnectionUnavailable, oneLine } from '../errors.js';
import { redactUrl } from '../logger.js';
import type { RuntimeLog } from '../messages.js';
import { MemoryModel, memoryBroker } from './memory-broker.js';
import { isTlsVerificationError, tlsHint } from './tls.js';
import { NodeRotation, nodeAddress } from './node-rotation.js';
import { displayBrokerUrls, vhostOf } from '../settings/broker-urls.js';
import type { TlsSocketOptions } from './tls.js';

/** What to do when no broker answers: the two fixes a newcomer needs. */
export const NO_BROKER_HINT = 'start RabbitMQ (rabbitmq-server -detached) or set AMQP_URL';

export interface ConnectionOptions {
  /** The broker's nodes: one URL, or a cluster's (validated by settings: same vhost and credentials). */
  urls: readonly string[];
  /** Index in `urls` of the node dialled first. @defaultValue one at random, so workers spread */
  firstNode?: number;
  connectionTimeout: number;
  /** ms; AMQP negotiates whole seconds. */
  heartbeat: number;
  /** Shown by `rabbitmqctl list_connections client_properties`. */
  connectionName: string;
  /** For `amqps://` (tls.ts). */
  tls?: TlsSocketOptions | undefined;
  log: RuntimeLog;
}

/** 403 (access refused), 406 (precondition failed: a queue declared with other arguments), 530 (vhost not allowed). */
export function isConfigurationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 403 || code === 406 || code === 530) return true;
  if (isTlsVerificationError(err)) return true;
  // The handshake's refusal has no code, only its text; digits alone could be part of a queue or host name.
  const message = err instanceof Error ? err.message : String(err);
  return /ACCESS[-_]REFUSED|PRECONDITION[-_]FAILED|NOT[-_]ALLOWED/.test(message);
}

/**
 * Whether one node answers: a plain connect (no recovery) within `timeout`, closed at once.
 * Resolves to `undefined` when it answered, else the one-line reason (password hidden).
 */
export async function probeNode(
  url: string,
  options: { timeout: number; tls?: TlsSocketOptions | undefined },
): Promise<string | undefined> {
  try {
    const model = await amqp.connect(nodeAddress(url, 0), { ...options.tls, timeout: options.timeout });
    model.on('error', () => {});
    await model.close().catch(() => {});
    return undefined;
  } catch (err) {
    return oneLine(err);
  }
}

export class BrokerConnection {
  private readonly channels = new Set<{ close(): Promise<void> }>();
  private closing: Promise<void> | undefined;
  private up = true;
  /** The node the connection is on now, or was on when it was lost. */
  private connectedTo: string;

  private constructor(
    readonly model: AmqpModel,
    private readonly options: ConnectionOptions,
    private readonly rotation: NodeRotation | undefined,
  ) {
    this.connectedTo = rotation?.display ?? redactUrl(options.urls[0]!);
  }

  /** Connects within `connectionTimeout`, or rejects with a one-line reason (password hidden). */
  static async open(options: ConnectionOptions): Promise<BrokerConnection> {
    const first = options.urls[0]!;
    if (first.startsWith('memory://')) {
      const connection = new BrokerConnection(new MemoryModel(memoryBroker(first)), options, undefined);
      options.log.info('connection.connected', { url: redactUrl(first) });
      return connection;
    }
    const rotation = new NodeRotation(options.urls, options.heartbeat, options.firstNode);
    const displayUrls = displayBrokerUrls(options.urls);
    const model = await amqp.connect(rotation.address, {
      ...options.tls,
      timeout: options.connectionTimeout,
      clientProperties: { connection_name: options.connectionName },
      recovery: {
        waitForConnect: false,
        initialDelay: 200,
        maxDelay: 5_000,
        // Every (re)connection's socket: one write per event-loop step (coalesce-writes.ts).
        setup: async (connected: unknown) =>
          coalesceWrites((connected as { connection: { stream: Writable } }).connection.stream),
      },
    });
    // Before amqplib schedules the next attempt (it emits these first): that attempt dials the next node.
    model.on('connect-failed', () => rotation.advance());
    model.on('disconnect', () => rotation.advance());
    let lastError: Error | undefined;
    let fatal: Error | undefined;
    let giveUp: (err: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => (giveUp = reject));
    const onFailure = (err: Error): void => {
      lastError = err;
      if (isConfigurationError(err)) {
        fatal = err;
        giveUp(err);
      }
    };
    model.on('connect-failed', onFailure);
    model.on('error', () => {});
    const timer = setTimeout(() => giveUp(lastError ?? new Error('no answer')), options.connectionTimeout);
    try {
      await Promise.race([model.waitForConnect(), failed]);
    } catch (err) {
      await model.close().catch(() => {});
      const reason = oneLine(err);
      if (fatal)
        throw new BrokerConfigurationError(`cannot connect to ${displayUrls}: ${reason}${tlsHint(err)}`, {
          cause: err,
        });
      throw new ConnectionUnavailable(
        `cannot connect to ${displayUrls} within ${options.connectionTimeout} ms: ${reason}; ${NO_BROKER_HINT}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
      model.off('connect-failed', onFailure);
    }
    // amqplib's model is an AmqpModel: the compiler checks here that the in-process broker's interface is amqplib's.
    const connection = new BrokerConnection(model, options, rotation);
    connection.watch(model);
    options.log.info('connection.connected', { url: rotation.display });
    return connection;
  }

  private watch(model: RecoveringChannelModel): void {
    const log = this.options.log;
    model.on('disconnect', (err: Error) => {
      this.up = false;
      if (!this.closing) log.warn('connection.lost', { url: this.connectedTo, reason: oneLine(err) });
    });
    model.on('reconnect-scheduled', ({ attempt, delay, error }: { attempt: number; delay: number; error: Error }) => {
      // The node that failed, and the one the attempt dials: the rotation moved on before this event.
      const failed = this.rotation?.previousDisplay ?? this.displayUrl;
      if (!this.closing)
        log.warn('connection.retrying', { url: failed, next: this.displayUrl, attempt, delay, reason: oneLine(error) });
    });
    model.on('connect', () => {
      this.up = true;
      this.connectedTo = this.displayUrl;
      if (!this.closing) log.info('connection.recovered', { url: this.displayUrl });
    });
    model.on('blocked', (reason: string) => log.warn('connection.blocked', { url: this.displayUrl, reason }));
    model.on('unblocked', () => log.info('connection.unblocked', { url: this.displayUrl }));
  }

  /** A channel that re-opens itself, running `onOpen` on each fresh channel before handing it out. */
  confirmChannel(
    role: string,
    onOpen?: (channel: AmqpConfirmChannel) => Promise<void>,
  ): ManagedChannel<AmqpConfirmChannel> {
    return this.track(new ManagedChannel<AmqpConfirmChannel>(this, role, true, onOpen));
  }

  channel(role: string, onOpen?: (channel: AmqpChannel) => Promise<void>): ManagedChannel<AmqpChannel> {
    return this.track(new ManagedChannel<AmqpChannel>(this, role, false, onOpen));
  }

  private track<C extends AmqpChannel | AmqpConfirmChannel>(managed: ManagedChannel<C>): ManagedChannel<C> {
    if (this.closing) throw new Closed('connection is closed');
    this.channels.add(managed);
    managed.start();
    return managed;
  }

  /** @internal */
  forget(managed: { close(): Promise<void> }): void {
    this.channels.delete(managed);
  }

  /** Whether the connection is up now (false between a drop and its recovery, and once closed). */
  get connected(): boolean {
    return this.up && !this.closing;
  }

  /** The broker's nodes, as given. */
  get urls(): readonly string[] {
    return this.options.urls;
  }

  /** The node the connection is on (or dials next), without its password. */
  get displayUrl(): string {
    return this.rotation?.display ?? this.connectedTo;
  }

  /** The vhost of the URLs (`/` when they name none; every node names the same), as the management API spells it. */
  get vhost(): string {
    return vhostOf(this.options.urls[0]!);
  }

  get log(): RuntimeLog {
    return this.options.log;
  }

  /** A short-lived plain channel for one-off checks (a passive declare that may close it). */
  async scratchChannel(deadline: number): Promise<AmqpChannel> {
    const opening = this.model.createChannel().then((ch) => {
      ch.on('error', () => {});
      return ch;
    });
    try {
      return await withDeadline(
        opening,
        deadline,
        () => new ConnectionUnavailable(`broker at ${this.displayUrl} unavailable`),
      );
    } catch (err) {
      // A channel that opens after the deadline must still be closed, or it leaks.
      void opening.then((ch) => ch.close()).catch(() => undefined);
      throw err;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.channels].map((managed) => managed.close()));
      // Like a channel's, the connection's close waits for the broker's answer; a dead socket never gives one.
      await Promise.race([
        this.model.close().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
      ]);
    })();
    return this.closing;
  }
}

type ChannelEvents = { open: []; failed: [Error] };

/**
 * A long-lived channel of one role (publisher, consumer of a queue). Callers `get()` the live
 * channel and wait, up to their deadline, while it is being re-opened.
 */
export class ManagedChannel<C extends AmqpChannel | AmqpConfirmChannel> extends EventEmitter<ChannelEvents> {
  private current: C | undefined;
  private fatal: Error | undefined;
  private stopped = false;

  constructor(
    private readonly connection: BrokerConnection,
    readonly role: string,
    private readonly confirm: boolean,
    private readonly onOpen?: (channel: C) => Promise<void>,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** @internal */
  start(): void {
    void this.openLoop();
  }

  /** The live channel if there is one right now. */
  peek(): C | undefined {
    return this.current;
  }

  /** The live channel, waiting up to `deadline` (epoch ms) while it re-opens. */
  async get(deadline: number): Promise<C> {
    if (this.current) return this.current;
    if (this.fatal) throw this.fatal;
    if (this.stopped) throw new Closed(`channel ${this.role} is closed`);
    return new Promise<C>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('open', onOpen);
        this.off('failed', onFailed);
      };
      const onOpen = (): void => {
        cleanup();
        if (this.current) resolve(this.current);
        else reject(new ConnectionUnavailable(`channel ${this.role} closed again`));
      };
      const onFailed = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(
            new ConnectionUnavailable(
              `broker at ${this.connection.displayUrl} unavailable: no channel within the deadline`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.on('open', onOpen);
      this.on('failed', onFailed);
    });
  }

  private async openLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped && !this.fatal) {
      let channel: C | undefined;
      try {
        channel = (
          this.confirm
            ? await this.connection.model.createConfirmChannel()
            : await this.connection.model.createChannel()
        ) as C;
        // Without a listener an 'error' event would crash the process; 'close' follows it and is handled below.
        channel.on('error', () => {});
        const closed = new Promise<void>((resolve) => channel?.once('close', () => resolve()));
        if (this.onOpen) await this.onOpen(channel);
        if (this.stopped) {
          await channel.close().catch(() => {});
          return;
        }
        this.current = channel;
        failures = 0;
        this.emit('open');
        await closed;
        this.current = undefined;
        if (!this.stopped) this.connection.log.debug('channel.closed', { role: this.role, reason: 'closed' });
      } catch (err) {
        this.current = undefined;
        if (this.stopped) return;
        if (isConfigurationError(err)) {
          this.fatal = new BrokerConfigurationError(oneLine(err), { cause: err });
          this.connection.log.error('channel.failed', { role: this.role, reason: oneLine(err) });
          this.emit('failed', this.fatal);
          await channel?.close().catch(() => {});
          return;
        }
        if (err instanceof Closed || (err instanceof Error && /Connection closed/.test(err.message) && this.stopped))
          return;
        failures += 1;
        await channel?.close().catch(() => {});
        // A channel that fails to open again and again (broker overloaded, racing a reconnect) is retried gently.
        await delay(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const channel = this.current;
    this.current = undefined;
    this.connection.forget(this);
    if (channel) await closeChannel(channel);
    this.emit('failed', new Closed(`channel ${this.role} is closed`));
  }
}

/**
 * Closes a channel without hanging: amqplib resolves close() only when the broker answers, which a
 * dead socket never does, though the channel does emit 'close'.
 */
async function closeChannel(channel: AmqpChannel | AmqpConfirmChannel): Promise<void> {
  await Promise.race([
    channel.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      channel.once('close', () => resolve());
      setTimeout(resolve, 5_000).unref();
    }),
  ]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function withDeadline<T>(promise: Promise<T>, deadline: number, makeError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(makeError()), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}
