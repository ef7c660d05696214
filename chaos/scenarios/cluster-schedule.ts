/**
 * 14. A schedule firing every second, run by two workers on different nodes; the node of the worker
 * that holds the schedule's lease (the active consumer of its lease queue) is killed: every tick
 * from the first to the last fires exactly once, and ticks go on after the kill.
 */
import type { PrivateCluster } from '../private-cluster.js';
import type { Scenario } from '../scenario.js';
import { readCompletions, sleep } from '../harness.js';
import { leaseQueueName } from '../../runtime/schedules/scheduler.js';
import { seconds, withClusterRun } from './cluster-run.js';

const BEFORE = 4_000;
const AFTER = 10_000;

export function clusterSchedule(cluster: () => Promise<PrivateCluster>): Scenario {
  return {
    name: 'cluster: schedule across the loss of the lease holder node',
    run: async () =>
      withClusterRun(await cluster(), 'schedule', async (run) => {
        const { cluster, log } = run;
        const lease = leaseQueueName('arq', { key: 'tick:0' });
        run.alsoDelete.push(lease);
        await run.addWorker({ SCHEDULE: '1' });
        const first = await run.workerNode(0);
        // A second worker on another node, to take the lease over.
        for (let index = 1; ; index += 1) {
          await run.addWorker({ SCHEDULE: '1' });
          if ((await run.workerNode(index)) !== first) break;
          if (index >= 8) throw new Error('no worker landed on a second node');
        }
        await sleep(BEFORE);
        const holder = await cluster.leaseHolder(lease);
        if (!holder) throw new Error(`no active consumer on ${lease}`);
        const killedAt = Date.now();
        await cluster.kill(holder);
        await sleep(AFTER);
        const ticks = readCompletions(log)
          .map((done) => done.n)
          .sort((a, b) => a - b);
        const fired = new Set(ticks);
        const firstTick = ticks[0] ?? 0;
        const lastTick = ticks.at(-1) ?? 0;
        let missed = 0;
        for (let tick = firstTick; tick <= lastTick; tick += 1_000) if (!fired.has(tick)) missed += 1;
        const duplicates = ticks.length - fired.size;
        const after = ticks.filter((tick) => tick > killedAt).length;
        return {
          ok: ticks.length > 0 && missed === 0 && duplicates === 0 && lastTick >= killedAt + AFTER - 3_000,
          line: `${fired.size} ticks over ${seconds(lastTick - firstTick + 1_000)}, the lease holder's node killed after ${seconds(BEFORE)}: ${missed} missed, ${duplicates} fired twice, ${after} after the kill`,
        };
      }),
  };
}
