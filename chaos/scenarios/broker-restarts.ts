/**
 * 2. The broker node restarted twice while a long-lived client enqueues 5,000 jobs at a steady rate
 * and a worker process consumes: every enqueue resolves or rejects with a documented error, nothing
 * confirmed is lost, and producer and worker recover without a restart.
 * 3. 500 jobs deferred by 2–8 s, the node restarted after 1 s: all run, none early.
 * Both on the suite's private node (private-broker.ts).
 */
import { join } from 'node:path';
import { RabbitMQClient } from '../../runtime/index.js';
import { delayNames } from '../../runtime/topology/delay-topology.js';
import type { PrivateBroker } from '../private-broker.js';
import type { Scenario } from '../scenario.js';
import {
  countCompletions,
  depth,
  readCompletions,
  scratchDir,
  sleep,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';
import { summarize } from './connection-cuts.js';
import { produce } from './produce.js';

export function brokerRestarts(broker: () => Promise<PrivateBroker>): Scenario {
  return {
    name: 'broker node restarted x2',
    async run() {
      const node = await broker();
      const queue = uniqueName('restart');
      const log = join(scratchDir(), 'completions');
      const worker = startWorker({ URL: node.url, QUEUE: queue, LOG: log, NAME: queue });
      const client = new RabbitMQClient({
        url: node.url,
        queue,
        logLevel: 'silent',
        connectionTimeout: 30_000,
      });
      try {
        await worker.ready;
        const downs: number[] = [];
        const recoveries: number[] = [];
        const t0 = Date.now();
        const restarter = (async () => {
          for (const at of [2_000, 7_000]) {
            await sleep(Math.max(0, t0 + at - Date.now()));
            const before = countCompletions(log).distinct.size;
            const { downMs } = await node.restart();
            downs.push(downMs);
            const backAt = Date.now();
            await waitFor(() => countCompletions(log).distinct.size > before + 10, 60_000, 50);
            recoveries.push(Date.now() - backAt);
          }
        })();
        const produced = await produce(client, 5_000, 400);
        await restarter;
        const confirmed = produced.confirmed;
        const finished = await waitFor(
          () => [...confirmed].every((n) => countCompletions(log).distinct.has(n)),
          90_000,
          250,
        );
        const { distinct, duplicates } = countCompletions(log);
        const lost = [...confirmed].filter((n) => !distinct.has(n)).length;
        const undocumented = produced.errors.filter((code) => code === undefined).length;
        const alive = worker.child.exitCode === null;
        return {
          ok: finished && lost === 0 && undocumented === 0 && alive,
          line: `5000 jobs at 400/s, 2 restarts (node down ${downs.map((ms) => (ms / 1000).toFixed(1)).join(' s, ')} s; first completions ${recoveries.map((ms) => (ms / 1000).toFixed(1)).join(' s, ')} s after the node was back): ${confirmed.size} confirmed, ${produced.errors.length} rejected (${summarize(produced.errors)}), ${lost} confirmed lost, ${duplicates} duplicates, slowest enqueue ${(produced.slowest / 1000).toFixed(1)} s, worker ${alive ? 'recovered' : 'DEAD'}`,
        };
      } finally {
        await stopWorker(worker);
        await client.close();
      }
    },
  };
}

export function deferredAcrossRestart(broker: () => Promise<PrivateBroker>): Scenario {
  return {
    name: 'deferred jobs across a node restart',
    async run() {
      const node = await broker();
      const queue = uniqueName('deferred');
      const log = join(scratchDir(), 'completions');
      const client = new RabbitMQClient({
        url: node.url,
        queue,
        logLevel: 'silent',
        connectionTimeout: 30_000,
      });
      const worker = startWorker({ URL: node.url, QUEUE: queue, LOG: log, NAME: queue, MIN_MS: '0', MAX_MS: '1' });
      try {
        await worker.ready;
        const now = Date.now();
        const requests = Array.from({ length: 500 }, (_, n) => {
          const deferBy = 2_000 + Math.floor(Math.random() * 6_000);
          return { name: 'work', args: { n }, options: { deferBy } };
        });
        const jobs = await client.enqueueJobs(requests);
        const dueOf = jobs.map((job) => job.deferUntil?.getTime() ?? 0);
        await sleep(Math.max(0, now + 1_000 - Date.now()));
        await node.restart();
        const finished = await waitFor(() => countCompletions(log).distinct.size === 500, 40_000, 250);
        // A run before the job's deferUntil (as the client computed it at enqueue) is early.
        const runs = readCompletions(log).map((run) => ({ ...run, due: dueOf[run.n] ?? Infinity }));
        const early = runs.filter((run) => run.at < run.due).length;
        const late = runs.map((run) => run.at - run.due).sort((a, b) => a - b);
        const p99 = late[Math.min(late.length - 1, Math.ceil(late.length * 0.99) - 1)] ?? NaN;
        // Where a message goes that the ladder could not deliver because its queue was not bound (yet).
        const unroutable = await depth(node.url, delayNames('arq').unroutable);
        return {
          ok: finished && early === 0,
          line: `500 jobs due in 2-8 s, node restarted at 1 s: ${countCompletions(log).distinct.size} ran, ${early} early, ${unroutable} in the ladder's unroutable queue, lateness p50 ${((late[Math.floor(late.length / 2)] ?? NaN) / 1000).toFixed(2)} s, p99 ${(p99 / 1000).toFixed(2)} s`,
        };
      } finally {
        await stopWorker(worker);
        await client.close();
      }
    },
  };
}
