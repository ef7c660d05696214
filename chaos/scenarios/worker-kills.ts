/**
 * 1. Worker SIGKILLed 10 times at random moments while 3,000 jobs (5–30 ms handlers, concurrency 20)
 * flow, restarted each time: nothing lost, duplicates at most the jobs in flight at the kills, queue
 * and DLQ empty at the end.
 */
import { join } from 'node:path';
import { RabbitMQClient } from '../../runtime/index.js';
import type { Scenario } from '../scenario.js';
import {
  SHARED_URL,
  countCompletions,
  deleteQueues,
  depth,
  scratchDir,
  sleep,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';

const JOBS = 3_000;
const KILLS = 10;
const CONCURRENCY = 20;

export const workerKills: Scenario = {
  name: 'worker SIGKILL x10',
  async run() {
    const queue = uniqueName('kill');
    const log = join(scratchDir(), 'completions');
    const env = { URL: SHARED_URL, QUEUE: queue, LOG: log, CONCURRENCY: String(CONCURRENCY), NAME: queue };
    const client = new RabbitMQClient({ url: SHARED_URL, queue, logLevel: 'silent' });
    const started = Date.now();
    try {
      for (let sent = 0; sent < JOBS; sent += 500)
        await client.enqueueJobs(Array.from({ length: 500 }, (_, i) => ({ name: 'work', args: { n: sent + i } })));
      let kills = 0;
      while (kills < KILLS) {
        const worker = startWorker(env);
        await worker.ready;
        await sleep(150 + Math.random() * 450);
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills += 1;
      }
      const last = startWorker(env);
      await last.ready;
      const finished = await waitFor(() => countCompletions(log).distinct.size === JOBS, 120_000, 200);
      await stopWorker(last);
      const { distinct, duplicates } = countCompletions(log);
      const [ready, dead] = [await depth(SHARED_URL, queue), await depth(SHARED_URL, `${queue}_dlq`)];
      const lost = JOBS - distinct.size;
      const bound = KILLS * CONCURRENCY;
      const ok = finished && lost === 0 && duplicates <= bound && ready === 0 && dead === 0;
      return {
        ok,
        line: `${JOBS} jobs, ${kills} kills: ${distinct.size} completed, ${lost} lost, ${duplicates} duplicates (bound ${bound}: ${CONCURRENCY} in flight x ${kills} kills), queue ${ready}, DLQ ${dead}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      };
    } finally {
      await client.close();
      await deleteQueues(SHARED_URL, queue, `${queue}_dlq`);
    }
  },
};
