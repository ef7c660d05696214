/**
 * Checks worker settings before a deploy: every settings problem at once, then the broker as the
 * worker would meet it (each node of the list reachable, queues compatible, delay ladder, consumer
 * timeout) and, given the management API, where each job queue's replicas are.
 */
import { oneLine } from '../errors.js';
import { redactUrl } from '../logger.js';
import { isConfigurationError, probeNode } from '../transport/connection.js';
import { resolveTls } from '../transport/tls.js';
import { managementQueue } from './management-api.js';
import type { QuorumReplication } from '../topology/quorum-arguments.js';
import { DELAY_LEVELS, delayNames } from '../topology/delay-topology.js';
import {
  deadLetterQueueName,
  deadLetterQueueOptions,
  describeQueueMismatch,
  mainQueueOptions,
} from '../topology/queue-topology.js';
import { defaults, resolveBrokerUrls, workerSettingsProblems } from '../settings/settings.js';
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
  /**
   * Management API base URL (`http://localhost:15672`): each job queue's members and leader are
   * reported. Credentials from it or from the AMQP URL.
   */
  managementUrl?: string;
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
  const replication: QuorumReplication = { initialGroupSize: settings.quorumInitialGroupSize };
  const queues = jobQueues(settings);
  const connectionTimeout = options.connectionTimeout ?? settings.connectionTimeout ?? defaults.connectionTimeout;
  const urls = resolveBrokerUrls(settings.url);
  if (urls.length > 1) findings.push(await nodesFinding(urls, resolveTls(settings.tls), connectionTimeout));
  let session: OperatorSession;
  try {
    session = await OperatorSession.open({
      url: urls,
      ...(settings.tls ? { tls: settings.tls } : {}),
      connectionTimeout,
      delayPrefix: settings.delayPrefix ?? defaults.delayPrefix,
      logLevel: 'silent',
    });
  } catch (err) {
    return [...findings, { ok: false, text: `broker: ${oneLine(err)}` }];
  }
  try {
    findings.push({ ok: true, text: `broker: reachable at ${session.connection.displayUrl}` });
    for (const queue of queues) {
      findings.push(await queueFinding(session, queue, queueType, false, replication));
      findings.push(await queueFinding(session, deadLetterQueueName(queue), queueType, true, replication));
      if (options.managementUrl)
        findings.push(await replicaFinding(options.managementUrl, session.connection.vhost, queue, urls[0]));
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
  replication: QuorumReplication,
): Promise<ConfigFinding> {
  const found = await session.peekQueue(queue);
  if (!found) return { ok: true, text: `queue ${queue}: not declared yet; the worker declares it ${type}` };
  const channel = await session.channel();
  try {
    // The queue exists: a declare with our arguments changes nothing if they match and fails with 406 if not.
    await channel.assertQueue(
      queue,
      deadLetter ? deadLetterQueueOptions(type, replication) : mainQueueOptions(queue, type, replication),
    );
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

/** How many nodes of the list answer; one that does not is named (the workers fail over, but the cluster runs degraded). */
async function nodesFinding(
  urls: readonly string[],
  tls: ReturnType<typeof resolveTls>,
  timeout: number,
): Promise<ConfigFinding> {
  const reasons = await Promise.all(urls.map((url) => probeNode(url, { timeout, tls })));
  const down = urls.flatMap((url, at) => (reasons[at] === undefined ? [] : [`${redactUrl(url)} (${reasons[at]})`]));
  const reached = urls.length - down.length;
  if (down.length === 0) return { ok: true, text: `nodes: reached ${reached} of ${urls.length}` };
  return { ok: false, text: `nodes: reached ${reached} of ${urls.length}; no answer from ${down.join(', ')}` };
}

/** Where a job queue's replicas are, as the management API says: a quorum queue's members and leader, a classic queue's node. */
async function replicaFinding(
  managementUrl: string,
  vhost: string,
  queue: string,
  amqpUrl: string | undefined,
): Promise<ConfigFinding> {
  let described: { type?: string; node?: string; leader?: string; members?: string[]; online?: string[] };
  try {
    described = await managementQueue(managementUrl, vhost, queue, amqpUrl);
  } catch (err) {
    const notYet = (err as { status?: number }).status === 404;
    return notYet
      ? { ok: true, text: `replicas of ${queue}: not declared yet` }
      : { ok: false, text: `replicas of ${queue}: ${oneLine(err)}` };
  }
  if (described.type !== 'quorum')
    return { ok: true, text: `replicas of ${queue}: one (classic) on ${described.node ?? '?'}` };
  const members = described.members ?? [];
  const online = described.online ?? members;
  const leader = described.leader ?? described.node ?? '?';
  const text = `replicas of ${queue}: leader ${leader}, members ${members.join(', ')} (${online.length} of ${members.length} online)`;
  // A quorum queue takes writes while a majority of its members is online.
  return { ok: online.length > members.length / 2, text };
}
