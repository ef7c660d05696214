/**
 * Checks worker settings before a deploy: every settings problem at once, then the broker as the
 * worker would meet it (reachable, queues compatible, delay ladder, consumer timeout).
 */
import { oneLine } from '../errors.js';
import { isConfigurationError } from '../transport/connection.js';
import { DELAY_LEVELS, delayNames } from '../topology/delay-topology.js';
import {
  deadLetterQueueName,
  deadLetterQueueOptions,
  describeQueueMismatch,
  mainQueueOptions,
} from '../topology/queue-topology.js';
import { defaults, workerSettingsProblems } from '../settings/settings.js';
import type { QueueType, WorkerSettings } from '../types.js';
import { OperatorSession } from './operator-session.js';

/** RabbitMQ's default `consumer_timeout` (3.8.15+): a delivery held longer closes the consumer's channel. */
export const DEFAULT_CONSUMER_TIMEOUT_MS = 30 * 60_000;

export interface ConfigFinding {
  ok: boolean;
  text: string;
}

export interface ConfigCheckOptions {
  /** The broker's `consumer_timeout` (ms), when known; otherwise RabbitMQ's default is assumed and said so. */
  consumerTimeout?: number;
  /** Connect timeout for the check. @defaultValue the settings' own */
  connectionTimeout?: number;
}

export async function checkWorkerConfig(
  settings: WorkerSettings,
  options: ConfigCheckOptions = {},
): Promise<ConfigFinding[]> {
  const problems = workerSettingsProblems(settings);
  if (problems.length > 0) return problems.map((text) => ({ ok: false, text: `settings: ${text}` }));
  const findings: ConfigFinding[] = [{ ok: true, text: 'settings: valid' }];
  findings.push(timeoutFinding(settings, options.consumerTimeout));

  const queueType: QueueType = settings.queueType ?? defaults.queueType;
  const queues = jobQueues(settings);
  let session: OperatorSession;
  try {
    session = await OperatorSession.open({
      ...(settings.url ? { url: settings.url } : {}),
      connectionTimeout: options.connectionTimeout ?? settings.connectionTimeout ?? defaults.connectionTimeout,
      delayPrefix: settings.delayPrefix ?? defaults.delayPrefix,
      logLevel: 'silent',
    });
  } catch (err) {
    return [...findings, { ok: false, text: `broker: ${oneLine(err)}` }];
  }
  try {
    findings.push({ ok: true, text: `broker: reachable at ${session.connection.displayUrl}` });
    for (const queue of queues) {
      findings.push(await queueFinding(session, queue, queueType, false));
      findings.push(await queueFinding(session, deadLetterQueueName(queue), queueType, true));
    }
    findings.push(await ladderFinding(session));
  } finally {
    await session.close();
  }
  return findings;
}

/** The queues a worker with these settings consumes: each registration's, else `queue`. */
function jobQueues(settings: WorkerSettings): string[] {
  const fallback = settings.queue ?? defaults.queue;
  const queues = Object.values(settings.handlers).map((entry) =>
    typeof entry === 'function' ? fallback : (entry.queue ?? fallback),
  );
  return [...new Set(queues)].sort();
}

function timeoutFinding(settings: WorkerSettings, consumerTimeout: number | undefined): ConfigFinding {
  const timeouts = Object.values(settings.handlers).map((entry) =>
    typeof entry === 'function' ? undefined : entry.timeout,
  );
  const longest = Math.max(settings.jobTimeout ?? defaults.jobTimeout, ...timeouts.filter((t) => t !== undefined));
  const limit = consumerTimeout ?? DEFAULT_CONSUMER_TIMEOUT_MS;
  const source =
    consumerTimeout === undefined
      ? `RabbitMQ's default consumer_timeout of ${limit} ms, assumed (give --consumer-timeout; \`rabbitmqctl eval 'application:get_env(rabbit, consumer_timeout).'\` prints it)`
      : `the broker's consumer_timeout of ${limit} ms`;
  if (longest < limit)
    return { ok: true, text: `timeouts: the longest job timeout (${longest} ms) is below ${source}` };
  return {
    ok: false,
    text: `timeouts: a job may run ${longest} ms, not below ${source}; the broker would close the channel and redeliver the job while it runs: lower jobTimeout or raise consumer_timeout`,
  };
}

async function queueFinding(
  session: OperatorSession,
  queue: string,
  type: QueueType,
  deadLetter: boolean,
): Promise<ConfigFinding> {
  const found = await session.peekQueue(queue);
  if (!found) return { ok: true, text: `queue ${queue}: not declared yet; the worker declares it ${type}` };
  const channel = await session.channel();
  try {
    // The queue exists: a declare with our arguments changes nothing if they match and fails with 406 if not.
    await channel.assertQueue(queue, deadLetter ? deadLetterQueueOptions(type) : mainQueueOptions(queue, type));
    return { ok: true, text: `queue ${queue}: exists as ${type}, compatible (${found.messageCount} ready)` };
  } catch (err) {
    if (!isConfigurationError(err)) throw err;
    return { ok: false, text: `queue ${queue}: ${describeQueueMismatch(queue, type, err).message}` };
  } finally {
    await channel.close().catch(() => undefined);
  }
}

async function ladderFinding(session: OperatorSession): Promise<ConfigFinding> {
  const names = delayNames(session.settings.delayPrefix);
  let present = 0;
  for (let level = 0; level < DELAY_LEVELS; level += 1)
    if (await session.peekQueue(names.levelQueue(level))) present += 1;
  if (present === DELAY_LEVELS) return { ok: true, text: `delay ladder: ${DELAY_LEVELS} levels present` };
  if (present === 0)
    return { ok: true, text: 'delay ladder: not declared yet; the first worker or client declares it' };
  return {
    ok: false,
    text: `delay ladder: only ${present} of ${DELAY_LEVELS} levels exist; start a worker (it declares the missing ones) or check who deleted them`,
  };
}
