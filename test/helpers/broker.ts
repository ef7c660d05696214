/**
 * What integration tests share: unique names, a raw amqplib connection for inspecting queues, a
 * logger that records lines, polling, and a leak check. Each test file runs in its own process.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { ChannelModel, GetMessage } from 'amqplib';
import type { Logger, LogFields } from '../../runtime/index.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
export const run = promisify(execFile);

/** A name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `test-${prefix}-${randomBytes(4).toString('hex')}`;
}

let admin: Promise<ChannelModel> | undefined;

/** One raw connection per test process, for looking at queues the way an operator would. */
function adminConnection(): Promise<ChannelModel> {
  admin ??= amqp.connect(AMQP_URL).then((connection) => {
    connection.on('error', () => undefined);
    return connection;
  });
  return admin;
}

/** Runs `work` on a fresh channel (a 404 closes a channel, so none is reused). */
export async function withChannel<T>(work: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const channel = await (await adminConnection()).createChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Ready messages in `queue`, or undefined when it does not exist. */
export async function queueDepth(queue: string): Promise<number | undefined> {
  try {
    return await withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  } catch {
    return undefined;
  }
}

/** Consumers on `queue`, or undefined when it does not exist. */
export async function consumerCount(queue: string): Promise<number | undefined> {
  try {
    return await withChannel(async (channel) => (await channel.checkQueue(queue)).consumerCount);
  } catch {
    return undefined;
  }
}

/** Takes every ready message out of `queue` (acked), oldest first. */
export async function drainQueue(queue: string): Promise<GetMessage[]> {
  return withChannel(async (channel) => {
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return messages;
      messages.push(message);
    }
  });
}

export async function deleteQueues(...queues: string[]): Promise<void> {
  for (const queue of queues) await withChannel((channel) => channel.deleteQueue(queue)).catch(() => undefined);
}

/** The job queue and its DLQ. */
export async function deleteJobQueue(queue: string): Promise<void> {
  await deleteQueues(queue, `${queue}_dlq`);
}

export async function closeAdmin(): Promise<void> {
  const connection = admin;
  admin = undefined;
  if (connection) await (await connection).close().catch(() => undefined);
}

/** TCP sockets this process holds open: after a test closed its clients and workers, none of theirs may remain. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap' || name === 'TCPWRAP').length;
}

/** Polls `condition` until it holds or `timeout` passes; returns whether it held. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeout = 10_000,
  interval = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps its lines for assertions instead of printing them. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const record = (level: LogLine['level']) => (message: string, fields?: LogFields) =>
    void lines.push({ level, message, fields });
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** Connection pids (for `rabbitmqctl close_connection`) whose client name contains `marker`. */
export async function connectionPids(marker: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
}
