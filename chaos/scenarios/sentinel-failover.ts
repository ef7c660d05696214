/**
 * 9. The result store's Redis master SIGKILLed mid-run, on a private Sentinel group (a master, a
 * replica, three sentinels; test/helpers/redis-topologies.ts): two workers keep running jobs while
 * no master answers, each says so once, and records resume on the replica the sentinels promote.
 * Figures: jobs run, records written, records lost (split into those whose job ended before the
 * kill, acknowledged by the old master but never replicated, and those that ended while no master
 * answered), failover time and the time until the workers write records again.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RabbitMQClient } from '../../runtime/index.js';
import type { JobRecord } from '../../runtime/results/job-record.js';
import { CLIENT_USER, PrivateSentinelGroup } from '../../test/helpers/redis-topologies.js';
import type { Scenario } from '../scenario.js';
import {
  SHARED_URL,
  deleteQueues,
  readCompletions,
  scratchDir,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';

const JOBS = 3_000;
const KILL_AFTER = 600;

export const sentinelFailover: Scenario = {
  name: 'result store master killed (Redis Sentinel failover)',
  async run() {
    const group = await PrivateSentinelGroup.start();
    const queue = uniqueName('sentinel');
    const prefix = `${queue}:`;
    const log = join(scratchDir(), 'completions');
    const env = {
      URL: SHARED_URL,
      QUEUE: queue,
      LOG: log,
      NAME: queue,
      RESULT_STORE: group.url,
      RESULT_KEY_PREFIX: prefix,
      CONCURRENCY: '10',
      MIN_MS: '20',
      MAX_MS: '60',
    };
    const client = new RabbitMQClient({
      url: SHARED_URL,
      queue,
      resultStore: group.url,
      resultKeyPrefix: prefix,
      logLevel: 'silent',
      connectionTimeout: 20_000,
    });
    const workers = [startWorker(env), startWorker(env)];
    try {
      const jobIds: string[] = [];
      for (let n = 0; n < JOBS; n += 100) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(100, JOBS - n) }, (_, i) => client.enqueueJob('work', { n: n + i })),
        );
        jobIds.push(...batch.map((job) => job.jobId));
      }
      await Promise.all(workers.map((worker) => worker.ready));
      await waitFor(() => readCompletions(log).length >= KILL_AFTER, 60_000, 20);
      const killedAt = Date.now();
      const { failoverMs, newMaster } = await group.killMasterAndWaitForFailover();
      const recovered = await waitFor(
        () => workers.every((worker) => worker.output.some((line) => line.startsWith('event results.recovered'))),
        30_000,
        20,
      );
      const resumeMs = Date.now() - killedAt;
      await waitFor(() => new Set(readCompletions(log).map(({ n }) => n)).size >= JOBS, 120_000, 250);
      const alive = workers.every((worker) => worker.child.exitCode === null);
      // A graceful stop waits for running jobs and their record writes.
      for (const worker of workers) await stopWorker(worker);

      const completions = readCompletions(log);
      const ranAt = new Map<number, number>();
      for (const { n, at } of completions) if (!ranAt.has(n)) ranAt.set(n, at);
      const records = await readRecords(
        newMaster,
        jobIds.map((id) => `${prefix}job:${id}`),
      );
      let written = 0;
      let lostUnreplicated = 0;
      let lostInOutage = 0;
      let lostAfter = 0;
      const lostStates = new Map<string, number>();
      records.forEach((record, n) => {
        if (record?.status === 'complete') {
          written += 1;
          return;
        }
        const state = record?.status ?? 'missing';
        lostStates.set(state, (lostStates.get(state) ?? 0) + 1);
        const at = ranAt.get(n) ?? Infinity;
        if (at < killedAt) lostUnreplicated += 1;
        else if (at < killedAt + resumeMs) lostInOutage += 1;
        else lostAfter += 1;
      });
      const lost = JOBS - written;
      const outages = workers.map(
        (worker) => worker.output.filter((line) => line.startsWith('event results.unavailable')).length,
      );
      const printed = workers.flatMap((worker) => worker.output).join('\n');
      const leaked = printed.includes(CLIENT_USER.password);
      const ok =
        ranAt.size === JOBS &&
        recovered &&
        lostAfter === 0 &&
        outages.every((count) => count === 1) &&
        !leaked &&
        alive;
      const states = [...lostStates].map(([state, count]) => `${count} ${state}`).join(', ') || 'none';
      return {
        ok,
        line: `${JOBS} jobs, 2 workers, master SIGKILLed after ${KILL_AFTER}: ${ranAt.size} ran (${completions.length - ranAt.size} duplicates), ${written} records complete, ${lost} lost (${lostUnreplicated} ended before the kill, unreplicated; ${lostInOutage} ended with no master; ${lostAfter} after recovery; left ${states}), failover ${(failoverMs / 1000).toFixed(1)} s, records resumed ${(resumeMs / 1000).toFixed(1)} s after the kill, outage logged ${outages.join(' and ')} time(s), workers ${alive ? 'alive' : 'DEAD'}, password ${leaked ? 'PRINTED' : 'never printed'}`,
      };
    } finally {
      for (const worker of workers) await stopWorker(worker);
      await client.close();
      await deleteQueues(SHARED_URL, queue, `${queue}_dlq`);
      await group.stop();
    }
  },
};

/** The records as the new master holds them, in the order of `keys`; `undefined` where none is left. */
async function readRecords(port: number, keys: string[]): Promise<Array<JobRecord | undefined>> {
  const redis = new Redis({ host: '127.0.0.1', port, username: CLIENT_USER.name, password: CLIENT_USER.password });
  try {
    const records: Array<JobRecord | undefined> = [];
    for (let i = 0; i < keys.length; i += 500) {
      const texts = await redis.mget(...keys.slice(i, i + 500));
      for (const text of texts) records.push(text === null ? undefined : (JSON.parse(text) as JobRecord));
    }
    return records;
  } finally {
    redis.disconnect();
  }
}
