/**
 * 5. A job whose handler kills its process every time. The harness restarts the worker after each
 * death (bounded). On a quorum queue the broker's delivery limit moves it to the DLQ; on a classic
 * queue the worker's own bound does (docs/reliability.md). Either way the jobs behind it must run.
 */
import { join } from 'node:path';
import { RabbitMQClient } from '../../runtime/index.js';
import type { QueueType } from '../../runtime/index.js';
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
} from '../harness.js';

const BEHIND = 200;
const MAX_RESTARTS = 40;

export function poisonJob(queueType: QueueType, extraEnv: Record<string, string> = {}): Scenario {
  return {
    name: `poison job on a ${queueType} queue`,
    async run() {
      const queue = uniqueName(`poison-${queueType}`);
      const log = join(scratchDir(), 'completions');
      const env = { URL: SHARED_URL, QUEUE: queue, QUEUE_TYPE: queueType, LOG: log, NAME: queue, ...extraEnv };
      const client = new RabbitMQClient({ url: SHARED_URL, queue, queueType, logLevel: 'silent' });
      const started = Date.now();
      try {
        await client.enqueueJob('poison', {});
        await client.enqueueJobs(Array.from({ length: BEHIND }, (_, n) => ({ name: 'work', args: { n } })));
        // Done: every job behind it ran, the poison job sits in the DLQ, nothing is left in the queue.
        const settled = async (): Promise<boolean> =>
          countCompletions(log).distinct.size === BEHIND &&
          (await depth(SHARED_URL, `${queue}_dlq`)) === 1 &&
          (await depth(SHARED_URL, queue)) === 0;
        let restarts = 0;
        const start = (): ReturnType<typeof startWorker> => {
          const process = startWorker(env);
          process.ready.catch(() => undefined); // it may die before it is ready: that is the point
          return process;
        };
        let worker = start();
        let survived = false;
        const deadline = Date.now() + 240_000;
        while (restarts <= MAX_RESTARTS && Date.now() < deadline) {
          if (await settled()) {
            survived = true;
            // The last death may be the very one that moved the job to the DLQ.
            if (worker.child.exitCode !== null || worker.child.signalCode !== null) restarts += 1;
            break;
          }
          if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
            restarts += 1;
            worker = start();
          }
          await sleep(100);
        }
        await stopWorker(worker);
        const { distinct, duplicates } = countCompletions(log);
        const dead = await depth(SHARED_URL, `${queue}_dlq`);
        const ok = survived && restarts <= 21 && distinct.size === BEHIND && dead === 1;
        return {
          ok,
          line: `1 poison job + ${BEHIND} behind it: ${restarts} worker deaths before it was dead-lettered, ${distinct.size}/${BEHIND} behind it completed (${duplicates} duplicates), DLQ ${dead} (expected 1), ${((Date.now() - started) / 1000).toFixed(1)} s`,
        };
      } finally {
        await client.close();
        await deleteQueues(SHARED_URL, queue, `${queue}_dlq`);
      }
    },
  };
}
