/**
 * A steady producer for the fault scenarios: `jobs` enqueues at `rate` per second (fewer when `until`
 * aborts first), each awaited on its own. A confirmed enqueue is a promise the runtime must keep; a
 * rejected one must carry a documented error code (docs/errors.md), since the caller decides from it
 * what to do.
 */
import type { RabbitMQClient } from '../../runtime/index.js';
import { errorCode } from '../../runtime/index.js';
import { sleep } from '../harness.js';

export interface Produced {
  confirmed: Set<number>;
  /** The `code` of every rejection; `undefined` for one without a code of ours. */
  errors: Array<string | undefined>;
  /** Longest time one enqueue took to settle (ms). */
  slowest: number;
}

const DOCUMENTED = new Set(['CONNECTION_UNAVAILABLE', 'ENQUEUE_UNCONFIRMED', 'PUBLISH_NACKED', 'PUBLISH_RETURNED']);

export async function produce(
  client: RabbitMQClient,
  jobs: number,
  rate: number,
  args: (n: number) => Record<string, unknown> = (n) => ({ n }),
  options: (n: number) => Record<string, unknown> = () => ({}),
  /** Stops producing early when aborted. */
  until?: AbortSignal,
): Promise<Produced> {
  const produced: Produced = { confirmed: new Set(), errors: [], slowest: 0 };
  const pending: Array<Promise<void>> = [];
  const start = Date.now();
  for (let n = 0; n < jobs && !until?.aborted; n += 1) {
    const due = start + (n * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const sentAt = Date.now();
    pending.push(
      client.enqueueJob('work', args(n), options(n)).then(
        () => {
          produced.confirmed.add(n);
          produced.slowest = Math.max(produced.slowest, Date.now() - sentAt);
        },
        (err: unknown) => {
          const code = errorCode(err);
          produced.errors.push(code !== undefined && DOCUMENTED.has(code) ? code : undefined);
          produced.slowest = Math.max(produced.slowest, Date.now() - sentAt);
        },
      ),
    );
  }
  await Promise.all(pending);
  return produced;
}
