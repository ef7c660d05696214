/**
 * What every cluster scenario sets up and tears down: a queue of its own, worker processes and a
 * client given every node's URL, and, whatever happens, the workers stopped, the client closed, the
 * nodes that went down booted again (the next scenario gets three) and the queues deleted.
 */
import { join } from 'node:path';
import { RabbitMQClient } from '../../runtime/index.js';
import type { PrivateCluster } from '../private-cluster.js';
import type { PrivateNode } from '../private-broker.js';
import {
  countCompletions,
  deleteQueues,
  scratchDir,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';
import type { WorkerProcess } from '../harness.js';

export const CONCURRENCY = 20;

export interface ClusterRun {
  cluster: PrivateCluster;
  queue: string;
  log: string;
  workers: WorkerProcess[];
  /** Queues besides the job queue and its DLQ that the run made and that go at the end. */
  alsoDelete: string[];
  /** Starts one more worker process on the run's queue; `env` adds to or overrides its environment. */
  addWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** A client whose connection is on `node` (a fresh client until the random pick lands there), or on any node. */
  client(node?: PrivateNode): Promise<RabbitMQClient>;
  /** The node the n-th worker is connected to. */
  workerNode(index?: number): Promise<PrivateNode>;
}

export async function withClusterRun<T>(
  cluster: PrivateCluster,
  label: string,
  body: (run: ClusterRun) => Promise<T>,
  connectionTimeout = 20_000,
): Promise<T> {
  const queue = uniqueName(label);
  const log = join(scratchDir(), 'completions');
  const workers: WorkerProcess[] = [];
  const clients: RabbitMQClient[] = [];
  const run: ClusterRun = {
    cluster,
    queue,
    log,
    workers,
    alsoDelete: [],
    async addWorker(env = {}) {
      const name = `${queue} w${workers.length}`;
      const worker = startWorker({
        URL: cluster.urls.join(','),
        QUEUE: queue,
        LOG: log,
        NAME: name,
        CONCURRENCY: String(CONCURRENCY),
        ...env,
      });
      workers.push(worker);
      await worker.ready;
      return worker;
    },
    async client(node) {
      for (let attempt = 0; attempt < 30; attempt += 1) {
        const connectionName = `${queue} producer${clients.length}`;
        const client = new RabbitMQClient({
          url: cluster.urls,
          queue,
          logLevel: 'silent',
          connectionName,
          connectionTimeout,
        });
        clients.push(client);
        await client.connect();
        const [on] = await cluster.nodesOf(connectionName);
        if (!node || on === node) return client;
        await client.close();
      }
      throw new Error(`no client landed on ${node?.node} in 30 tries`);
    },
    async workerNode(index = 0) {
      const marker = `${queue} w${index} worker`;
      let found: PrivateNode | undefined;
      await waitFor(async () => (found = (await cluster.nodesOf(marker))[0]) !== undefined, 30_000, 100);
      if (!found) throw new Error(`worker ${index} has no connection`);
      return found;
    },
  };
  try {
    return await body(run);
  } finally {
    for (const worker of workers) await stopWorker(worker);
    for (const client of clients) await client.close();
    await cluster.heal();
    await deleteQueues(cluster.urls[0]!, queue, `${queue}_dlq`, ...run.alsoDelete);
  }
}

/** How long after `since` the distinct completions passed `before + CONCURRENCY`: past what was in flight, so new deliveries ran. */
export async function resumedAfter(log: string, before: number, since: number, timeout = 60_000): Promise<number> {
  const resumed = await waitFor(() => countCompletions(log).distinct.size > before + CONCURRENCY, timeout, 50);
  return resumed ? Date.now() - since : Infinity;
}

/** `1234` ms as `1.2 s`. */
export function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never';
}
