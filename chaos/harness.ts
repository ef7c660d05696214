/**
 * What the chaos scenarios share: worker processes (chaos/worker.ts) whose completions go to an
 * append-only file, so counts survive a SIGKILL; reading those files; closing our own connections.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const SHARED_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const workerScript = new URL('./worker.ts', import.meta.url).pathname;

export function uniqueName(label: string): string {
  return `chaos-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'arq-chaos-'));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeout: number,
  every = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(every);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: string[];
}

/** A worker process; see chaos/worker.ts for its environment. Resolves `ready` once it consumes. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(line);
    if (line === 'ready') markReady();
  });
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    ready: Promise.race([
      ready,
      exited.then((code) =>
        Promise.reject(new Error(`worker exited (${code}) before it was ready:\n${output.join('\n')}`)),
      ),
    ]),
  };
}

export async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const stopped = await Promise.race([worker.exited.then(() => true), sleep(40_000).then(() => false)]);
  if (!stopped) worker.child.kill('SIGKILL');
}

export interface Completion {
  n: number;
  at: number;
  due: number;
}

/** Every completion recorded in `log`, in order; a job run twice appears twice. */
export function readCompletions(log: string): Completion[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [n, at, due] = line.split(' ').map(Number);
      return { n: n!, at: at!, due: due! };
    });
}

/** How many distinct jobs completed, and how many completions were repeats. */
export function countCompletions(log: string): { distinct: Set<number>; duplicates: number } {
  const distinct = new Set<number>();
  let duplicates = 0;
  for (const { n } of readCompletions(log)) {
    if (distinct.has(n)) duplicates += 1;
    else distinct.add(n);
  }
  return { distinct, duplicates };
}

/** Whether every job in `jobs` completed at least once (the log read once). */
export function allCompleted(log: string, jobs: Iterable<number>): boolean {
  const { distinct } = countCompletions(log);
  for (const n of jobs) if (!distinct.has(n)) return false;
  return true;
}

/** Closes, from the broker's side, every connection whose client-provided name contains `marker`. */
export async function closeConnections(marker: string, node?: string): Promise<number> {
  const nodeArgs = node ? ['-n', node] : [];
  const { stdout } = await run('rabbitmqctl', ['-q', ...nodeArgs, 'list_connections', 'pid', 'client_properties'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids)
    await run('rabbitmqctl', ['-q', ...nodeArgs, 'close_connection', pid, 'chaos test']).catch(() => undefined);
  return pids.length;
}

/** Ready messages in a queue (0 when it does not exist). */
export async function depth(url: string, queue: string): Promise<number> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return (await channel.checkQueue(queue)).messageCount;
  } catch {
    return 0;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function deleteQueues(url: string, ...queues: string[]): Promise<void> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
