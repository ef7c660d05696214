// Python RabbitMQ-ARQ producers feeding our workers: their exact messages on a classic queue they declared themselves,
// a quorum worker refusing that queue with a clear error, and a Python defer_until that must not run early.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { BrokerConfigurationError } from '../../runtime/errors.js';
import type { JobContext } from '../../runtime/types.js';
import {
  closeAdmin,
  deleteJobQueue,
  deleteQueues,
  drainQueue,
  queueDepth,
  uniqueName,
  waitFor,
  withChannel,
} from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  events,
  publishRaw,
  pythonIsoformat,
  socketBaseline,
  spyOnLadder,
  startWorker,
} from '../helpers/worker-harness.js';

after(closeAdmin);

/** The fenced ```json block after `<!-- marker -->` in docs/wire-format.md, byte for byte. */
function docExample(marker: string): Buffer {
  const lines = readFileSync(new URL('../../docs/wire-format.md', import.meta.url), 'utf8').split('\n');
  const at = lines.indexOf(`<!-- ${marker} -->`);
  assert.notEqual(at, -1, `docs/wire-format.md has no <!-- ${marker} --> line`);
  assert.equal(lines[at + 1], '```json');
  const end = lines.indexOf('```', at + 2);
  return Buffer.from(lines.slice(at + 2, end).join('\n'), 'utf8');
}

/** The properties the Python client publishes with: transient, no content type, a random message id, one header. */
function pythonProperties(): { deliveryMode: 1; messageId: string; headers: { 'x-retry-count': 0 } } {
  return { deliveryMode: 1, messageId: randomBytes(16).toString('hex'), headers: { 'x-retry-count': 0 } };
}

const processDataArgs = z.object({ data_id: z.number().int(), action: z.enum(['process', 'retry', 'cleanup']) });

describe('Python producers', () => {
  it('share a classic queue the Python client declared: a quorum worker refuses it clearly, a classic worker runs its messages', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('python');
    const runs: Array<{ jobId: string; jobTry: number; args: unknown }> = [];
    const handlers = {
      process_data: {
        args: processDataArgs,
        handler: (ctx: JobContext, args: unknown) => void runs.push({ jobId: ctx.jobId, jobTry: ctx.jobTry, args }),
      },
    };
    let worker: Awaited<ReturnType<typeof startWorker>>['worker'] | undefined;
    try {
      // What the Python client declares: durable, no arguments.
      await withChannel((channel) => channel.assertQueue(queue, { durable: true }));

      await assert.rejects(startWorker({ queue, handlers }), (err: unknown) => {
        assert.ok(err instanceof BrokerConfigurationError, `got ${String(err)}`);
        assert.equal(err.message.includes('\n'), false, 'the error is not one line');
        assert.ok(err.message.includes(`"${queue}"`), err.message);
        assert.ok(err.message.includes("queueType: 'classic'"), err.message);
        return true;
      });
      // The refused worker created nothing that would stand in the way of the fix it suggests.
      assert.equal(await queueDepth(`${queue}_dlq`), undefined);

      ({ worker } = await startWorker({ queue, queueType: 'classic', handlers }));
      const byName = docExample('python-original-example');
      const byPosition = docExample('python-original-positional-example');
      const [first, second] = [pythonProperties(), pythonProperties()];
      await publishRaw('', queue, byName, first);
      await publishRaw('', queue, byPosition, second);
      assert.ok(await waitFor(() => runs.length === 2, 10_000), `${runs.length} of 2 Python jobs ran`);
      assert.deepEqual(
        runs.sort((a, b) => a.jobId.localeCompare(b.jobId)),
        [
          { jobId: '2c9e5b7a1d3f4e6a9b0c8d7e6f5a4b3c', jobTry: 1, args: { data_id: 123, action: 'process' } },
          { jobId: '6f1d0c2b9a8e4f7d8c3b2a1e0f9d8c7b', jobTry: 1, args: { data_id: 123, action: 'process' } },
        ],
      );
      assert.equal(worker.stats.completed, 2);
      assert.equal(await queueDepth(`${queue}_dlq`), 0);
    } finally {
      await worker?.close();
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });

  it('sends a Python job whose defer_until lies ahead back through the ladder, and never runs it early', async () => {
    const baseline = await socketBaseline();
    const queue = uniqueName('python-defer');
    const starts: number[] = [];
    const { worker, logger } = await startWorker({
      queue,
      queueType: 'classic',
      handlers: { process_data: { args: processDataArgs, handler: () => void starts.push(Date.now()) } },
    });
    const spy = await spyOnLadder(queue);
    try {
      const due = Date.now() + 1_500;
      const body = docExample('python-original-example')
        .toString('utf8')
        .replace('"defer_until": null', `"defer_until": "${pythonIsoformat(new Date(due))}"`);
      assert.ok(body.includes(pythonIsoformat(new Date(due))));
      // Straight to the queue, as the Python client would publish it.
      await publishRaw('', queue, body, pythonProperties());
      assert.ok(await waitFor(() => starts.length === 1, 10_000), 'the deferred Python job never ran');
      assert.ok((starts[0] ?? 0) >= due, `it ran ${due - (starts[0] ?? 0)} ms early`);
      assert.equal(events(logger, 'job.deferred').length, 1);
      // The ladder delivered it: unchanged body, its first attempt still.
      const [copy] = await drainQueue(spy);
      assert.equal(copy?.content.toString('utf8'), body);
      assert.equal(copy?.properties.deliveryMode, 2, 'deferred again as a persistent message');
    } finally {
      await worker.close();
      await deleteQueues(spy);
      await deleteJobQueue(queue);
    }
    await assertNoSocketLeak(baseline);
  });
});
