/** Worker lifecycle in real processes: signals, crashes, burst mode, several workers on one queue. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, afterEach, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/index.js';
import { closeAdmin, deleteJobQueue, queueDepth, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';
import { freePort } from '../helpers/redis.js';

interface WorkerEvent {
  pid: number;
  event: string;
  id?: string;
  jobTry?: number;
  redelivered?: boolean;
}

interface WorkerProcess {
  child: ChildProcess;
  events: WorkerEvent[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
}

const children: ChildProcess[] = [];
const queues: string[] = [];
const clients: RabbitMQClient[] = [];

function startWorker(env: Record<string, string>, events: WorkerEvent[] = []): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/worker-process.ts', import.meta.url).pathname],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const event = JSON.parse(line) as WorkerEvent;
    events.push(event);
    if (event.event === 'ready') markReady();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    events,
    exited,
    ready: Promise.race([ready, exited.then(() => Promise.reject(new Error('worker exited before it was ready')))]),
  };
}

function newQueue(label: string): string {
  const queue = uniqueName(label);
  queues.push(queue);
  return queue;
}

function client(queue: string): RabbitMQClient {
  const c = new RabbitMQClient({ queue, logger: recordingLogger() });
  clients.push(c);
  return c;
}

const done = (events: WorkerEvent[], id?: string): WorkerEvent[] =>
  events.filter((e) => e.event === 'done' && (id === undefined || e.id === id));

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const c of clients.splice(0)) await c.close();
  for (const queue of queues.splice(0)) await deleteJobQueue(queue);
});

after(closeAdmin);

describe('worker processes', () => {
  it('SIGTERM lets five running 2 s jobs finish, then exits 0 with the queue empty', async () => {
    const queue = newQueue('sigterm');
    const worker = startWorker({ QUEUE: queue, MAX_CONCURRENT: '5' });
    await worker.ready;
    await client(queue).enqueueJobs(
      Array.from({ length: 5 }, (_, i) => ({ name: 'sleep', args: { id: `j${i}`, ms: 2_000 } })),
    );
    assert.ok(await waitFor(() => worker.events.filter((e) => e.event === 'start').length === 5));
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    assert.equal(code, 0);
    assert.equal(done(worker.events).length, 5);
    assert.equal(await queueDepth(queue), 0);
  });

  it('on SIGTERM /readyz answers 503 at once while /healthz stays 200 until the running job is done', async () => {
    const queue = newQueue('sigterm-ready');
    const port = await freePort();
    const worker = startWorker({ QUEUE: queue, HEALTH_PORT: String(port) });
    await worker.ready;
    const probe = async (path: string): Promise<number> =>
      (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => ({ status: 0 }))).status;
    assert.equal(await probe('/readyz'), 200);
    await client(queue).enqueueJob('sleep', { id: 'slow', ms: 3_000 });
    assert.ok(await waitFor(() => worker.events.some((e) => e.event === 'start')));
    worker.child.kill('SIGTERM');
    assert.ok(await waitFor(async () => (await probe('/readyz')) === 503, 1_500), '/readyz turns 503 on SIGTERM');
    assert.equal(done(worker.events).length, 0, 'while the job still runs');
    assert.equal(await probe('/healthz'), 200, 'the worker is still live');
    assert.equal((await worker.exited).code, 0);
    assert.equal(done(worker.events).length, 1);
  });

  it('requeues a job longer than the shutdown timeout; the next worker completes it exactly once', async () => {
    const queue = newQueue('requeue');
    const events: WorkerEvent[] = [];
    const first = startWorker({ QUEUE: queue, SHUTDOWN_TIMEOUT: '500' }, events);
    await first.ready;
    await client(queue).enqueueJob('sleep', { id: 'long', ms: 3_000 });
    assert.ok(await waitFor(() => events.some((e) => e.event === 'start')));
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);
    assert.equal(done(events).length, 0, 'the first worker aborted it');
    assert.equal(await queueDepth(queue), 1, 'it is back in the queue');

    const second = startWorker({ QUEUE: queue }, events);
    await second.ready;
    assert.ok(await waitFor(() => done(events).length === 1, 15_000));
    const starts = events.filter((e) => e.event === 'start');
    assert.equal(starts.length, 2);
    assert.equal(starts[1]?.jobTry, 1, 'a shutdown requeue uses no attempt');
    assert.equal(starts[1]?.redelivered, true);
    second.child.kill('SIGTERM');
    await second.exited;
    assert.equal(done(events).length, 1, 'completed exactly once');
  });

  it('requeues prefetched jobs that never started at once on SIGTERM', async () => {
    const queue = newQueue('prefetched');
    const worker = startWorker({ QUEUE: queue, MAX_CONCURRENT: '1', PREFETCH: '5' });
    await worker.ready;
    await client(queue).enqueueJobs(
      Array.from({ length: 5 }, (_, i) => ({ name: 'sleep', args: { id: `p${i}`, ms: 2_500 } })),
    );
    assert.ok(await waitFor(() => worker.events.some((e) => e.event === 'start')));
    assert.ok(await waitFor(async () => (await queueDepth(queue)) === 0), 'all five are prefetched');
    worker.child.kill('SIGTERM');
    assert.ok(
      await waitFor(async () => (await queueDepth(queue)) === 4, 2_000),
      'the four waiting jobs are back well before the running one ends',
    );
    assert.equal((await worker.exited).code, 0);
    assert.equal(done(worker.events).length, 1);
  });

  it('a second SIGTERM cuts the wait short and still requeues the running job', async () => {
    const queue = newQueue('second-signal');
    const port = await freePort();
    const worker = startWorker({ QUEUE: queue, SHUTDOWN_TIMEOUT: '30000', HEALTH_PORT: String(port) });
    await worker.ready;
    await client(queue).enqueueJob('sleep', { id: 'slow', ms: 20_000 });
    assert.ok(await waitFor(() => worker.events.some((e) => e.event === 'start')));
    const started = Date.now();
    worker.child.kill('SIGTERM');
    // The second signal must come once the first one started the graceful stop, which /readyz shows.
    const readyz = async (): Promise<number> =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => ({ status: 0 }))).status;
    assert.ok(await waitFor(async () => (await readyz()) === 503, 5_000), 'the first SIGTERM started no stop');
    worker.child.kill('SIGTERM');
    assert.equal((await worker.exited).code, 0);
    assert.ok(Date.now() - started < 10_000, 'did not wait for the 30 s grace period');
    assert.equal(await queueDepth(queue), 1);
  });

  it('leaves the job of a SIGKILLed worker to the next one, which sees it as redelivered', async () => {
    const queue = newQueue('sigkill');
    const events: WorkerEvent[] = [];
    const first = startWorker({ QUEUE: queue }, events);
    await first.ready;
    await client(queue).enqueueJob('sleep', { id: 'crash', ms: 1_500 });
    assert.ok(await waitFor(() => events.some((e) => e.event === 'start')));
    first.child.kill('SIGKILL');
    await first.exited;
    const second = startWorker({ QUEUE: queue }, events);
    await second.ready;
    assert.ok(await waitFor(() => done(events).length === 1, 15_000));
    const retry = events.filter((e) => e.event === 'start')[1];
    assert.equal(retry?.redelivered, true);
    assert.equal(retry?.jobTry, 1, 'a crash redelivery uses no attempt');
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('a burst worker exits 0 only after the retry it published has run', async () => {
    const queue = newQueue('burst-retry');
    // Queued before the worker starts: a burst worker on an empty queue exits at once.
    await client(queue).enqueueJob('retryOnce', { id: 'r', defer: 1_500 });
    const worker = startWorker({ QUEUE: queue, BURST: '1' });
    const { code } = await worker.exited;
    assert.equal(code, 0);
    const starts = worker.events.filter((e) => e.event === 'start');
    assert.deepEqual(
      starts.map((e) => e.jobTry),
      [1, 2],
    );
    assert.equal(done(worker.events).length, 1);
  });

  it('a burst worker on an empty queue exits at once', async () => {
    const queue = newQueue('burst-empty');
    const started = Date.now();
    const worker = startWorker({ QUEUE: queue, BURST: '1' });
    const { code } = await worker.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms (including process start)`);
    assert.ok(worker.events.some((e) => e.event === 'exit'));
  });

  it('two workers split 1,000 jobs, each done exactly once', async () => {
    const queue = newQueue('split');
    const events: WorkerEvent[] = [];
    const a = startWorker({ QUEUE: queue, MAX_CONCURRENT: '10' }, events);
    const b = startWorker({ QUEUE: queue, MAX_CONCURRENT: '10' }, events);
    await Promise.all([a.ready, b.ready]);
    await client(queue).enqueueJobs(
      Array.from({ length: 1_000 }, (_, i) => ({ name: 'sleep', args: { id: `s${i}`, ms: 5 } })),
    );
    assert.ok(await waitFor(() => done(events).length >= 1_000, 60_000), `${done(events).length} done`);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    const ids = done(events).map((e) => e.id);
    assert.equal(ids.length, 1_000);
    assert.equal(new Set(ids).size, 1_000, 'no job ran twice');
    const byWorker = new Map<number, number>();
    for (const e of done(events)) byWorker.set(e.pid, (byWorker.get(e.pid) ?? 0) + 1);
    assert.equal(byWorker.size, 2, 'both workers took part');
    for (const [pid, count] of byWorker) assert.ok(count >= 100, `worker ${pid} did only ${count} jobs`);
  });
});
