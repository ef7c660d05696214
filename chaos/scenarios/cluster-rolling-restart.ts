/**
 * 12. A rolling restart of all three nodes, one after the other, the way an operator does it (wait
 * until every quorum queue keeps its quorum without the node, stop it, boot it, wait for it to
 * rejoin), while a producer enqueues a steady 300 jobs/s: nothing confirmed is lost.
 */
import type { PrivateCluster } from '../private-cluster.js';
import type { Scenario } from '../scenario.js';
import { allCompleted, countCompletions, sleep, waitFor } from '../harness.js';
import { summarize } from './connection-cuts.js';
import { seconds, withClusterRun } from './cluster-run.js';
import { produce } from './produce.js';

const RATE = 300;

export function clusterRollingRestart(cluster: () => Promise<PrivateCluster>): Scenario {
  return {
    name: 'cluster: rolling restart of all three nodes',
    run: async () =>
      withClusterRun(await cluster(), 'rolling', async (run) => {
        const { cluster, log } = run;
        await run.addWorker();
        const client = await run.client();
        const rolled = new AbortController();
        const downs: number[] = [];
        const roller = (async () => {
          await sleep(1_000);
          for (const node of cluster.nodes) {
            await node.tool('rabbitmq-upgrade', 'await_online_quorum_plus_one', '-t', '120');
            const stoppedAt = Date.now();
            await cluster.shutdown(node);
            await cluster.boot(node);
            downs.push(Date.now() - stoppedAt);
            await waitFor(async () => (await cluster.runningNodes()).length === cluster.nodes.length, 60_000, 200);
          }
          await sleep(1_000);
          rolled.abort();
        })();
        const started = Date.now();
        const produced = await produce(client, 1_000_000, RATE, undefined, undefined, rolled.signal);
        await roller;
        const sent = produced.confirmed.size + produced.errors.length;
        const rate = sent / ((Date.now() - started) / 1000);
        const { confirmed } = produced;
        await waitFor(() => allCompleted(log, confirmed), 90_000, 250);
        const { distinct, duplicates } = countCompletions(log);
        const lost = [...confirmed].filter((n) => !distinct.has(n)).length;
        const undocumented = produced.errors.filter((code) => code === undefined).length;
        return {
          ok: lost === 0 && undocumented === 0,
          line: `${sent} jobs at ${rate.toFixed(0)}/s across 3 node restarts (each down ${downs.map(seconds).join(', ')}): ${confirmed.size} confirmed, ${produced.errors.length} rejected (${summarize(produced.errors)}), ${lost} confirmed lost, ${duplicates} duplicates, slowest enqueue ${seconds(produced.slowest)}`,
        };
      }),
  };
}
