/**
 * 11. Two of three nodes killed while jobs flow, so the job queue has no quorum: every enqueue in
 * that time fails within the connection timeout with a documented error, nothing confirmed is lost,
 * and once one node is booted again work resumes by itself (no restart of worker or producer).
 */
import { errorCode } from '../../runtime/index.js';
import type { PrivateCluster } from '../private-cluster.js';
import type { Scenario } from '../scenario.js';
import { allCompleted, countCompletions, sleep, waitFor } from '../harness.js';
import { summarize } from './connection-cuts.js';
import { seconds, withClusterRun } from './cluster-run.js';
import { produce } from './produce.js';

const CONNECTION_TIMEOUT = 10_000;
const BEFORE = 600;
const DURING = 6;
const AFTER = 600;

export function clusterQuorumLoss(cluster: () => Promise<PrivateCluster>): Scenario {
  return {
    name: 'cluster: two of three nodes killed (quorum lost)',
    run: async () =>
      withClusterRun(
        await cluster(),
        'quorum-loss',
        async (run) => {
          const { cluster, log } = run;
          await run.addWorker();
          const client = await run.client();
          const first = await produce(client, BEFORE, 300);
          // The worker's node goes first, then another: the one left is wherever neither ran or the producer's.
          const workerNode = await run.workerNode();
          const victims = [workerNode, cluster.nodes.find((node) => node !== workerNode)!];
          for (const node of victims) await cluster.kill(node);
          // While there is no quorum, each enqueue must settle, as a failure, within the connection timeout.
          const attempts: Array<{ ms: number; code: string | undefined; message: string }> = [];
          await Promise.all(
            Array.from({ length: DURING }, async (_, i) => {
              await sleep(i * 500);
              const sentAt = Date.now();
              try {
                await client.enqueueJob('work', { n: BEFORE + i });
                attempts.push({ ms: Date.now() - sentAt, code: 'CONFIRMED', message: '' });
              } catch (err) {
                attempts.push({ ms: Date.now() - sentAt, code: errorCode(err), message: String(err) });
              }
            }),
          );
          const slowestFailure = Math.max(...attempts.map((attempt) => attempt.ms));
          const failedInTime = attempts.every(
            (attempt) =>
              attempt.code !== 'CONFIRMED' && attempt.code !== undefined && attempt.ms <= CONNECTION_TIMEOUT + 1_000,
          );
          const backAt = Date.now();
          const before = countCompletions(log).distinct.size;
          const resuming = waitFor(() => countCompletions(log).distinct.size > before, 90_000, 50).then((done) =>
            done ? Date.now() - backAt : Infinity,
          );
          await cluster.boot(victims[0]!);
          const booted = Date.now() - backAt;
          // Enqueue one job at a time until the broker confirms one again: the queue has its quorum back.
          let probe = BEFORE + DURING;
          const accepting = await waitFor(
            () =>
              client.enqueueJob('work', { n: probe }).then(
                () => true,
                () => ((probe += 1), false),
              ),
            60_000,
            250,
          );
          const accepted = accepting ? Date.now() - backAt : Infinity;
          const resumed = await resuming;
          const offset = probe + 1;
          const second = await produce(client, AFTER, 300, (n) => ({ n: offset + n }));
          const confirmed = new Set([
            ...first.confirmed,
            ...(accepting ? [probe] : []),
            ...[...second.confirmed].map((n) => offset + n),
          ]);
          await waitFor(() => allCompleted(log, confirmed), 60_000, 250);
          const { distinct, duplicates } = countCompletions(log);
          const lost = [...confirmed].filter((n) => !distinct.has(n)).length;
          const errors = [...first.errors, ...second.errors];
          const undocumented = errors.filter((code) => code === undefined).length;
          return {
            ok: failedInTime && accepting && lost === 0 && undocumented === 0 && second.confirmed.size === AFTER,
            line: `${BEFORE} jobs, 2 of 3 nodes killed, ${DURING} enqueues without quorum: ${summarize(attempts.map((attempt) => attempt.code))} within ${seconds(slowestFailure)} (connection timeout ${seconds(CONNECTION_TIMEOUT)}, bound 1 s more: "${attempts[0]?.message ?? ''}"); one node booted in ${seconds(booted)}, enqueues confirmed again ${seconds(accepted)} and work resumed ${seconds(resumed)} after its boot began, ${AFTER} more enqueued: ${second.confirmed.size} confirmed; ${confirmed.size} confirmed in all, ${errors.length} rejected around the kills (${summarize(errors)}), ${lost} confirmed lost, ${duplicates} duplicates`,
          };
        },
        CONNECTION_TIMEOUT,
      ),
  };
}
