// Upgrading from the v1 delay ladder (classic level queues) to v2 (quorum): a job that was waiting in v1 when the
// new worker started still reaches its queue on time. The test builds the part of a v1 ladder it needs under a
// random prefix, so the shared ladder is never touched.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import {
  DELAY_UNIT_MS,
  deleteDelayLadder,
  delayNames,
  delayRoutingKey,
} from '../../runtime/topology/delay-topology.js';
import type { JobContext } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions } from '../../runtime/wire-format.js';
import { closeAdmin, deleteJobQueue, uniqueName, waitFor, withChannel } from '../helpers/broker.js';
import { declareJobQueue, events, firstAttempt, publishRaw, startWorker } from '../helpers/worker-harness.js';

after(closeAdmin);

/** v1's level 5 (3.2 s, classic) and its delivery exchange: the path a job deferred by 3.2 s took in v1. */
const LEVEL = 5;
const UNITS = 2 ** LEVEL;

async function declareV1Level(prefix: string): Promise<void> {
  const names = delayNames(prefix, 'v1');
  await withChannel(async (channel) => {
    await channel.assertExchange(names.deliver, 'topic', { durable: true });
    await channel.assertExchange(names.levelExchange(LEVEL), 'topic', { durable: true });
    await channel.assertQueue(names.levelQueue(LEVEL), {
      durable: true,
      arguments: {
        'x-queue-type': 'classic',
        'x-message-ttl': UNITS * DELAY_UNIT_MS,
        'x-dead-letter-exchange': names.deliver,
      },
    });
    await channel.bindQueue(names.levelQueue(LEVEL), names.levelExchange(LEVEL), '#');
  });
}

async function deleteV1Level(prefix: string): Promise<void> {
  const names = delayNames(prefix, 'v1');
  await withChannel(async (channel) => {
    await channel.deleteQueue(names.levelQueue(LEVEL));
    await channel.deleteExchange(names.levelExchange(LEVEL));
    await channel.deleteExchange(names.deliver);
  });
}

describe('the v1 delay ladder after an upgrade', () => {
  it('delivers a job that waited in v1 when the worker started, and logs how many wait there', async () => {
    const prefix = uniqueName('legacy');
    const queue = uniqueName('legacy-q');
    const ran: number[] = [];
    await declareV1Level(prefix);
    // The queue exists (as an earlier worker left it) but is bound only to the new ladder.
    await declareJobQueue(queue, 'quorum');
    try {
      const due = Date.now() + UNITS * DELAY_UNIT_MS;
      const job = firstAttempt(queue, 'count', { n: 7 }, new Date(due));

      // What a v1 producer published for a 3.2 s delay: into level 5, keyed with the delay's bits and the queue.
      await publishRaw(
        delayNames(prefix, 'v1').levelExchange(LEVEL),
        delayRoutingKey(UNITS, queue),
        encodeJobBody(job),
        jobPublishOptions(job),
      );
      const { worker, logger } = await startWorker({
        queueName: queue,
        delayPrefix: prefix,
        handlers: {
          count: { args: z.object({ n: z.number() }), handler: (_ctx: JobContext, args) => void ran.push(args.n) },
        },
      });
      try {
        assert.deepEqual(
          events(logger, 'ladder.legacy_draining').map((line) => line.fields?.waiting),
          [1],
        );
        assert.ok(await waitFor(() => ran.length === 1, 15_000), 'the job waiting in v1 never ran');
        assert.deepEqual(ran, [7]);
        assert.ok(Date.now() >= due, 'the job ran before its due time');
      } finally {
        await worker.close();
      }
    } finally {
      await withChannel((channel) => deleteDelayLadder(channel, prefix)).catch(() => undefined);
      await deleteV1Level(prefix);
      await deleteJobQueue(queue);
    }
  });
});
