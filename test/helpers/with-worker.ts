/**
 * One fixture for worker integration tests: `withWorker(settings, async ({ worker, client, queue }) => …)`
 * makes a unique queue, starts a worker on it (settings as in worker-harness.ts's `startWorker`), gives a
 * client for it, and afterwards closes both, deletes every queue it made and checks that nothing leaked:
 * no socket, timer or other handle that keeps the event loop alive is left beyond what was open before,
 * and no queue it made still exists.
 */
import * as assert from 'node:assert/strict';
import { RabbitMQClient } from '../../runtime/client/client.js';
import {
  DELAY_LEVELS,
  declareDelayLadder,
  delayNames,
  deleteDelayLadder,
} from '../../runtime/topology/delay-topology.js';
import type { ClientSettings, WorkerSettings } from '../../runtime/types.js';
import type { Worker } from '../../runtime/worker/worker.js';
import { deleteQueues, queueDepth, recordingLogger, uniqueName, waitFor, withChannel } from './broker.js';
import type { RecordingLogger } from './worker-harness.js';
import { startWorker, stopAndSettle } from './worker-harness.js';

export interface WorkerFixture {
  worker: Worker;
  /** Every line the worker logged, down to debug. */
  logger: RecordingLogger;
  /** `worker.run()`; already has a rejection handler. */
  running: Promise<void>;
  /** A client whose default queue is `queue`; connects on first use. */
  client: RabbitMQClient;
  /** The worker's queue (its DLQ is `${queue}_dlq`). */
  queue: string;
  /** A unique name for another queue the test makes; it is deleted with the fixture's own. */
  otherQueue(prefix: string): string;
  /** Runs `cleanup` when the test ends, after the worker and client closed (last registered runs first). */
  defer(cleanup: () => unknown): void;
  /** The delay prefix worker and client use: `arq`, or the private ladder's (see `privateLadder`). */
  delayPrefix: string;
}

export type FixtureWorkerSettings = Omit<WorkerSettings, 'queue'>;

export interface FixtureOptions {
  /** The queue's name starts `test-<label>-`; default `worker`. */
  label?: string;
  /** Settings of the fixture's client besides its default queue; its logger records lines unless given. */
  client?: Omit<ClientSettings, 'defaultQueue'>;
  /**
   * A delay ladder of the test's own (declared, and deleted afterwards), instead of the shared one: its
   * queues hold only this test's messages, so an empty ladder means no delayed message is still on its way.
   */
  privateLadder?: boolean;
}

/**
 * Runs `body` with a started worker on a fresh queue, then cleans up and checks for leaks. `settings` may
 * be a function of the queue name (and of `otherQueue`, for a worker on several queues).
 */
export async function withWorker(
  settings: FixtureWorkerSettings | ((queue: string, otherQueue: WorkerFixture['otherQueue']) => FixtureWorkerSettings),
  body: (fixture: WorkerFixture) => Promise<void>,
  options: FixtureOptions = {},
): Promise<void> {
  // The helpers' own admin connection is opened first, so it belongs to the baseline.
  await withChannel(async () => undefined);
  const before = activeResources();
  const queue = uniqueName(options.label ?? 'worker');
  const queues = [queue, `${queue}_dlq`];
  const delayPrefix = options.privateLadder ? uniqueName('ladder') : 'arq';
  const cleanups: Array<() => unknown> = [];
  if (options.privateLadder) {
    await withChannel((channel) => declareDelayLadder(channel, delayPrefix));
    cleanups.push(() => withChannel((channel) => deleteDelayLadder(channel, delayPrefix)));
  }
  const otherQueue = (prefix: string): string => {
    const name = uniqueName(prefix);
    queues.push(name, `${name}_dlq`);
    return name;
  };
  const resolved = typeof settings === 'function' ? settings(queue, otherQueue) : settings;
  const started = await startWorker({ delayPrefix, ...resolved, queue });
  const client = new RabbitMQClient({ logger: recordingLogger(), delayPrefix, ...options.client, queue });
  const cleanUp = async (): Promise<void> => {
    await client.close();
    await started.worker.close();
    await started.running.catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup();
    await deleteQueues(...queues);
  };
  try {
    await body({
      ...started,
      client,
      queue,
      otherQueue,
      defer: (cleanup) => void cleanups.push(cleanup),
      delayPrefix,
    });
  } catch (err) {
    await cleanUp().catch(() => undefined);
    throw err;
  }
  await cleanUp();
  if (options.privateLadder) queues.push(delayNames(delayPrefix).levelQueue(0), delayNames(delayPrefix).unroutable);
  for (const name of queues) assert.equal(await queueDepth(name), undefined, `queue ${name} still exists`);
  await assertNoLeak(before);
}

/** Counts of the handles that keep the event loop alive (sockets, ref'd timers, …), by type. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** Waits until no kind of handle is open more often than in `before`; fails naming the ones left. */
export async function assertNoLeak(before: Map<string, number>, timeout = 5_000): Promise<void> {
  const excess = (): string[] =>
    [...activeResources()]
      .filter(([name, count]) => count > (before.get(name) ?? 0))
      .map(([name, count]) => `${name} ${count} (before: ${before.get(name) ?? 0})`);
  // waitFor's own timer is one Timeout while it polls; it is gone once the check below runs.
  await waitFor(() => excess().length === 0, timeout);
  const left = excess();
  assert.deepEqual(left, [], `handles left open after the test: ${left.join(', ')}`);
}

/** Messages waiting anywhere in the ladder with prefix `delayPrefix` (meant for a private one). */
export async function ladderDepth(delayPrefix: string): Promise<number> {
  const names = delayNames(delayPrefix);
  let total = 0;
  for (let level = 0; level < DELAY_LEVELS; level += 1) total += (await queueDepth(names.levelQueue(level))) ?? 0;
  return total;
}

/**
 * Stops the worker (see worker-harness.ts's `stopAndSettle`) and waits until the private ladder
 * `delayPrefix` is empty: every delayed message has arrived, so the depths returned are final.
 */
export async function stopAndSettleAll(
  worker: Worker,
  queue: string,
  delayPrefix: string,
  timeout = 30_000,
): Promise<{ ready: number; dead: number }> {
  await stopAndSettle(worker, queue);
  let left = 0;
  const empty = await waitFor(async () => (left = await ladderDepth(delayPrefix)) === 0, timeout, 50);
  assert.ok(empty, `the ladder ${delayPrefix} still holds ${left} messages after ${timeout} ms`);
  return { ready: (await queueDepth(queue)) ?? 0, dead: (await queueDepth(`${queue}_dlq`)) ?? 0 };
}
