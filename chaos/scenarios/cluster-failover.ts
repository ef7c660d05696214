/**
 * 9. The node that producer and worker are connected to is killed during 3,000 jobs (the queue's
 * quorum led from another node). 10. The node that leads the job queue's quorum is killed, producer
 * and worker connected elsewhere. Both: 0 confirmed jobs lost, work resumes on another node within
 * 10 s, duplicates at most the jobs in flight (the worker's prefetch).
 */
import type { PrivateCluster } from '../private-cluster.js';
import type { Scenario } from '../scenario.js';
import { allCompleted, countCompletions, sleep, waitFor } from '../harness.js';
import { summarize } from './connection-cuts.js';
import { CONCURRENCY, resumedAfter, seconds, withClusterRun } from './cluster-run.js';
import { produce } from './produce.js';

const JOBS = 3_000;
const RATE = 600;
const KILL_AT = 1_500;
const RESUME_WITHIN = 10_000;

export function clusterFailover(cluster: () => Promise<PrivateCluster>, target: 'connected' | 'leader'): Scenario {
  return {
    name: target === 'connected' ? 'cluster: node of producer and worker killed' : 'cluster: quorum leader killed',
    run: async () =>
      withClusterRun(await cluster(), `failover-${target}`, async (run) => {
        const { cluster, queue, log } = run;
        await run.addWorker();
        const workerNode = await run.workerNode();
        const client = await run.client(target === 'connected' ? workerNode : undefined);
        const [producerNode] = await cluster.nodesOf(`${queue} producer`);
        // The victim: the clients' node (and the leader elsewhere), or a node only the leader is on.
        const free = cluster.nodes.filter((node) => node !== workerNode && node !== producerNode);
        const victim = target === 'connected' ? workerNode : free[0]!;
        const leader = target === 'connected' ? free[0]! : victim;
        await cluster.moveLeader(queue, leader);
        let killedAt = 0;
        let resumed = Infinity;
        const killer = (async () => {
          await sleep(KILL_AT);
          const before = countCompletions(log).distinct.size;
          killedAt = Date.now();
          await cluster.kill(victim);
          resumed = await resumedAfter(log, before, killedAt);
        })();
        const produced = await produce(client, JOBS, RATE);
        await killer;
        const { confirmed } = produced;
        await waitFor(() => allCompleted(log, confirmed), 60_000, 250);
        const { distinct, duplicates } = countCompletions(log);
        const lost = [...confirmed].filter((n) => !distinct.has(n)).length;
        const undocumented = produced.errors.filter((code) => code === undefined).length;
        const workerNow = await cluster.nodesOf(`${queue} w0 worker`);
        const moved = workerNow.length > 0 && !workerNow.includes(victim);
        const newLeader = (await cluster.membership(queue))?.leader ?? 'none';
        return {
          ok: lost === 0 && resumed <= RESUME_WITHIN && duplicates <= CONCURRENCY && undocumented === 0 && moved,
          line: `${JOBS} jobs at ${RATE}/s, ${target === 'connected' ? 'their node' : 'the leader'} killed at ${seconds(KILL_AT)}: ${confirmed.size} confirmed, ${produced.errors.length} rejected (${summarize(produced.errors)}), ${lost} confirmed lost, work resumed ${seconds(resumed)} after the kill (bound ${seconds(RESUME_WITHIN)}), worker ${moved ? `on ${workerNow[0]!.node.split('@')[0]}` : 'NOT CONNECTED'}, ${duplicates} duplicates (bound ${CONCURRENCY} in flight), new leader ${newLeader.split('@')[0]}, slowest enqueue ${seconds(produced.slowest)}`,
        };
      }),
  };
}
