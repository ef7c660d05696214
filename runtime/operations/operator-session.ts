/**
 * A short-lived broker session for operator tasks (queue info, purge, dead-letter replay): one
 * connection, fresh channels for checks that may fail, and the same one-line connect errors as
 * clients and workers.
 */
import { resolveTls } from '../transport/tls.js';
import type { TlsSettings } from '../types.js';
import type { AmqpChannel } from '../transport/amqp-model.js';
import { createConsoleLogger, localeFromEnvironment } from '../logger.js';
import type { Logger, LogLevel } from '../logger.js';
import { RuntimeLog } from '../messages.js';
import { BrokerConnection } from '../transport/connection.js';
import { defaults, resolveBrokerUrls } from '../settings/settings.js';
import type { BrokerUrls } from '../settings/broker-urls.js';

export interface OperatorSettings {
  /**
   * AMQP URL, or a cluster's nodes (an array, or URLs separated by commas).
   * @defaultValue `process.env.AMQP_URL` or `amqp://guest:guest@localhost:5672`
   */
  url?: BrokerUrls;
  /** @defaultValue 30_000 (the CLI passes 5 s) */
  connectionTimeout?: number;
  /** Prefix of the delay ladder. @defaultValue `arq` */
  delayPrefix?: string;
  /** TLS for an `amqps://` URL; the `ARQ_TLS_*` variables fill in what is not set. */
  tls?: TlsSettings;
  /** @defaultValue `warn` */
  logLevel?: LogLevel;
  logger?: Logger;
}

export class OperatorSession {
  private constructor(
    readonly connection: BrokerConnection,
    readonly settings: Required<Pick<OperatorSettings, 'connectionTimeout' | 'delayPrefix'>>,
  ) {}

  static async open(settings: OperatorSettings = {}): Promise<OperatorSession> {
    const logLevel = settings.logLevel ?? 'warn';
    const connectionTimeout = settings.connectionTimeout ?? defaults.connectionTimeout;
    const connection = await BrokerConnection.open({
      urls: resolveBrokerUrls(settings.url),
      connectionTimeout,
      heartbeat: defaults.heartbeat,
      tls: resolveTls(settings.tls),
      connectionName: `rabbitmq-arq operator ${process.pid}`,
      log: new RuntimeLog(
        settings.logger ?? createConsoleLogger({ level: logLevel }),
        localeFromEnvironment(),
        logLevel,
      ),
    });
    return new OperatorSession(connection, {
      connectionTimeout,
      delayPrefix: settings.delayPrefix ?? defaults.delayPrefix,
    });
  }

  /** Runs `work` with a session and closes it afterwards, whatever happens. */
  static async run<T>(settings: OperatorSettings, work: (session: OperatorSession) => Promise<T>): Promise<T> {
    const session = await OperatorSession.open(settings);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /** A fresh plain channel; closing it requeues whatever it holds unacked. */
  channel(): Promise<AmqpChannel> {
    return this.connection.scratchChannel(Date.now() + this.settings.connectionTimeout);
  }

  /** Message and consumer counts of `queue`, or `undefined` when it does not exist (a 404 closes only a scratch channel). */
  async peekQueue(queue: string): Promise<{ messageCount: number; consumerCount: number } | undefined> {
    const channel = await this.channel();
    try {
      return await channel.checkQueue(queue);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
