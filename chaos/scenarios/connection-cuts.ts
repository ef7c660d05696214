/**
 * 4. Worker and producer connections closed 20 times from the broker side while 3,000 jobs flow:
 * nothing confirmed is lost, and both recover without a restart. On the shared broker, closing only
 * the connections this scenario opened (found by their client-provided name).
 */
import { join } from 'node:path';
import { RabbitMQClient, errorCode } from '../../runtime/index.js';
import type { Scenario } from '../scenario.js';
import {
  SHARED_URL,
  closeConnections,
  countCompletions,
  deleteQueues,
  scratchDir,
  sleep,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';
import { produce } from './produce.js';

const JOBS = 3_000;
const CUTS = 20;

export const connectionCuts: Scenario = {
  name: 'connections closed by the broker x20',
  async run() {
    const queue = uniqueName('cut');
    const log = join(scratchDir(), 'completions');
    const worker = startWorker({ URL: SHARED_URL, QUEUE: queue, LOG: log, NAME: queue });
    const client = new RabbitMQClient({
      url: SHARED_URL,
      queue,
      logLevel: 'silent',
      connectionName: `${queue} producer`,
      connectionTimeout: 20_000,
    });
    try {
      await worker.ready;
      let cut = 0;
      const cutter = (async () => {
        for (; cut < CUTS; cut += 1) {
          await sleep(250);
          await closeConnections(queue);
        }
      })();
      const produced = await produce(client, JOBS, 600);
      await cutter;
      const confirmed = produced.confirmed;
      const finished = await waitFor(
        () => [...confirmed].every((n) => countCompletions(log).distinct.has(n)),
        60_000,
        250,
      );
      const { distinct, duplicates } = countCompletions(log);
      const lost = [...confirmed].filter((n) => !distinct.has(n)).length;
      const alive = worker.child.exitCode === null;
      const undocumented = produced.errors.filter((code) => code === undefined).length;
      const recovered = (await client.enqueueJob('work', { n: JOBS })).jobId !== '';
      return {
        ok: finished && lost === 0 && alive && undocumented === 0 && recovered,
        line: `${cut} cuts of both connections, ${JOBS} jobs: ${confirmed.size} confirmed, ${produced.errors.length} rejected (${summarize(produced.errors)}), ${lost} confirmed lost, ${duplicates} duplicates, worker ${alive ? 'alive' : 'DEAD'}, producer ${recovered ? 'recovered' : 'STUCK'}`,
      };
    } finally {
      await stopWorker(worker);
      await client.close();
      await deleteQueues(SHARED_URL, queue, `${queue}_dlq`);
    }
  },
};

export function summarize(codes: Array<string | undefined>): string {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code ?? 'UNDOCUMENTED', (counts.get(code ?? 'UNDOCUMENTED') ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([code, n]) => `${n} ${code}`).join(', ');
}

export { errorCode };
