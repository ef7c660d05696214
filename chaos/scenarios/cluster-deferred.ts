/**
 * 13. 500 jobs deferred by 1–8 s, then the node the worker is connected to (it declared the job
 * queue, so it leads that quorum) is killed and stays down: all run, none early.
 */
import type { PrivateCluster } from '../private-cluster.js';
import type { Scenario } from '../scenario.js';
import { delayNames } from '../../runtime/topology/delay-topology.js';
import { countCompletions, readCompletions, sleep, waitFor } from '../harness.js';
import { seconds, withClusterRun } from './cluster-run.js';

const JOBS = 500;

export function clusterDeferred(cluster: () => Promise<PrivateCluster>): Scenario {
  return {
    name: 'cluster: deferred jobs across the loss of a node',
    run: async () =>
      withClusterRun(await cluster(), 'deferred', async (run) => {
        const { cluster, log } = run;
        await run.addWorker({ MIN_MS: '0', MAX_MS: '1' });
        const victim = await run.workerNode();
        const client = await run.client();
        const now = Date.now();
        const requests = Array.from({ length: JOBS }, (_, n) => {
          const deferBy = 1_000 + Math.floor(Math.random() * 7_000);
          return { name: 'work', args: { n }, options: { deferBy } };
        });
        const jobs = await client.enqueueJobs(requests);
        const dueOf = jobs.map((job) => job.deferUntil?.getTime() ?? 0);
        await sleep(Math.max(0, now + 1_000 - Date.now()));
        await cluster.kill(victim);
        const finished = await waitFor(() => countCompletions(log).distinct.size === JOBS, 60_000, 250);
        // A run before the job's deferUntil (as the client computed it at enqueue) is early.
        const runs = readCompletions(log).map((done) => ({ ...done, due: dueOf[done.n] ?? Infinity }));
        const early = runs.filter((done) => done.at < done.due).length;
        const late = runs.map((done) => done.at - done.due).sort((a, b) => a - b);
        const p50 = late[Math.floor(late.length / 2)] ?? NaN;
        const p99 = late[Math.min(late.length - 1, Math.ceil(late.length * 0.99) - 1)] ?? NaN;
        const { distinct, duplicates } = countCompletions(log);
        // Where the jobs that did not run are: held in the ladder (counted with those awaiting dead-lettering), or unroutable.
        const names = delayNames('arq');
        const inLadder = await cluster.messages(names.levelQueue(0).replace(/00$/, ''));
        const unroutable = await cluster.messages(names.unroutable);
        return {
          ok: finished && early === 0,
          line: `${JOBS} jobs due in 1-8 s, the worker's node killed at 1 s and left down: ${distinct.size} ran, ${early} early, ${duplicates} duplicates, lateness p50 ${seconds(p50)}, p99 ${seconds(p99)}; ${inLadder} still held in the ladder, ${unroutable} unroutable`,
        };
      }),
  };
}
