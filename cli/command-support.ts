/**
 * What every `rabbitmq-arq` command shares: the connection flags, and one way to end. A failure is one
 * line on stderr saying what is wrong (passwords hidden, stack only at `--log-level debug`) and
 * exit code 1.
 */
import { Command, Option } from 'clipanion';
import { redactUrl } from '../runtime/index.js';
import { parseDuration, parseLogLevel } from '../runtime/settings/parse-text.js';
import type { LogLevel } from '../runtime/index.js';

/** CLI commands talk to a broker a person is waiting on: fail in 5 s, not the API's 30. */
export const CLI_CONNECTION_TIMEOUT_MS = 5_000;

export abstract class BrokerCommand extends Command {
  url = Option.String('-u,--url,--rabbitmq-url', {
    description: "AMQP URL, or a cluster's nodes separated by commas (default: $AMQP_URL, else amqp://localhost)",
  });
  connectionTimeout = Option.String('--connection-timeout', {
    description: 'How long to wait for the broker (duration; default 5s)',
  });
  logLevel = Option.String('-l,--log-level', { description: 'debug, info, warn, error or silent (default warn)' });

  /** Connection settings for a client or an operation, from the flags and `AMQP_URL`. */
  protected connectionSettings(): { url?: string; connectionTimeout: number; logLevel: LogLevel } {
    return {
      url: this.url,
      connectionTimeout:
        this.connectionTimeout === undefined
          ? CLI_CONNECTION_TIMEOUT_MS
          : parseDuration(this.connectionTimeout, '--connection-timeout'),
      logLevel: this.logLevelOr('warn'),
    };
  }

  protected logLevelOr(fallback: LogLevel): LogLevel {
    return this.logLevel === undefined ? fallback : parseLogLevel(this.logLevel, '--log-level');
  }

  async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (err) {
      reportFailure(this.context.stderr, this.cli.binaryName, this.path.join(' '), err, this.logLevel === 'debug');
      return 1;
    }
  }

  protected abstract run(): Promise<number>;
}

/** One line: `rabbitmq-arq <command>: <message>`, every URL in it without its password. */
export function reportFailure(
  stderr: NodeJS.WritableStream,
  binary: string,
  command: string,
  err: unknown,
  withStack: boolean,
): void {
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`${binary} ${command}: ${hidePasswords(message.split('\n')[0]!)}\n`);
  if (withStack && err instanceof Error && err.stack) stderr.write(hidePasswords(err.stack) + '\n');
}

export function hidePasswords(text: string): string {
  // A comma ends a URL: a list of nodes (`AMQP_URL=amqp://…,amqp://…`) is one URL after another.
  return text.replace(/(?:amqps?|rediss?):\/\/[^\s"'<>,]+/g, (url) => redactUrl(url));
}
