/**
 * 6. 10,000 malformed messages published with raw amqplib, mixed with 200 valid jobs: the worker
 * stays up, the valid jobs complete exactly once, every malformed message is in the DLQ exactly once
 * with `x-error-category`, none is retried; the worker's RSS before and after.
 *
 * Two oddities are not malformed by docs/wire-format.md and must run, exactly once: a header
 * `x-retry-count` of the wrong type next to a body `job_try` (the body wins), and `x-arq-version` as
 * the float 1.5 (major version 1: compatible). Its major-2 cousin, 2.5, is dead-lettered as
 * UnsupportedWireVersion.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { encodeJobBody, jobPublishOptions, newJobId } from '../../runtime/wire-format.js';
import type { Scenario } from '../scenario.js';
import {
  SHARED_URL,
  countCompletions,
  deleteQueues,
  depth,
  scratchDir,
  startWorker,
  stopWorker,
  uniqueName,
  waitFor,
} from '../harness.js';

const BAD = 10_000;
const GOOD = 200;
/** Counts at or above this mark a tolerated message's run in the completions log. */
const TOLERATED = 1_000_000;

interface Odd {
  body: Buffer;
  headers: Record<string, unknown>;
  /** What docs/wire-format.md says happens to it. */
  expect: 'dead' | 'run';
}

function rssMiB(pid: number): number {
  const line =
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:')) ?? '';
  return Math.round(Number(line.replace(/\D+/g, '')) / 1024);
}

function envelope(queue: string, overrides: Record<string, unknown>): Buffer {
  return Buffer.from(
    JSON.stringify({
      job_id: newJobId(),
      function: 'typed',
      args: [],
      kwargs: { count: 1 },
      job_try: 1,
      enqueue_time: new Date().toISOString(),
      queue_name: queue,
      defer_until: null,
      expires: null,
      ...overrides,
    }),
  );
}

/** The i-th odd message: one of thirteen kinds of damage, in turn. */
function oddMessage(queue: string, i: number): Odd {
  const dead = (body: Buffer, headers: Record<string, unknown> = {}): Odd => ({
    body,
    headers: { 'x-retry-count': 0, 'x-arq-version': 1, ...headers },
    expect: 'dead',
  });
  const runs = (headers: Record<string, unknown>): Odd => ({
    body: envelope(queue, { kwargs: { count: TOLERATED + i } }),
    headers: { 'x-retry-count': 0, 'x-arq-version': 1, ...headers },
    expect: 'run',
  });
  switch (i % 13) {
    case 0:
      return dead(Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256))));
    case 1:
      return dead(envelope(queue, {}).subarray(0, 40));
    case 2:
      return dead(Buffer.from('[1, 2, 3]'));
    case 3:
      return dead(envelope(queue, { job_try: 'one' }));
    case 4:
      return dead(envelope(queue, { function: `no_such_job_${i}` }));
    case 5:
      return dead(envelope(queue, { kwargs: { count: 'many' } }));
    case 6:
      // 512 KiB in one message of ten of this kind (77 in all): size is no problem, without pushing
      // hundreds of MB through the shared broker.
      return dead(envelope(queue, { kwargs: { count: 'x'.repeat(i % 130 === 6 ? 512 * 1024 : 10) } }));
    case 7:
      return dead(Buffer.concat([envelope(queue, {}).subarray(0, 20), Buffer.from([0xff, 0xfe, 0xc3])]));
    case 8:
      return runs({ 'x-retry-count': 'zero' });
    case 9:
      return runs({ 'x-arq-version': 1.5 });
    case 10:
      return dead(envelope(queue, {}), { 'x-arq-version': 2.5 });
    case 11:
      return dead(Buffer.from(`{"kwargs":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`));
    default:
      return dead(Buffer.from('"just a string"'));
  }
}

export const malformedFlood: Scenario = {
  name: 'malformed messages flood',
  async run() {
    const queue = uniqueName('malformed');
    const dlq = `${queue}_dlq`;
    const log = join(scratchDir(), 'completions');
    const worker = startWorker({ URL: SHARED_URL, QUEUE: queue, LOG: log, NAME: queue });
    const connection = await amqp.connect(SHARED_URL);
    try {
      await worker.ready;
      const pid = worker.child.pid!;
      const rssBefore = rssMiB(pid);
      const channel = await connection.createConfirmChannel();
      const expectDead = new Set<string>();
      const expectRun = new Set<number>();
      const perGood = Math.floor(BAD / GOOD);
      for (let i = 0, good = 0; i < BAD; i += 1) {
        const odd = oddMessage(queue, i);
        if (odd.expect === 'dead') expectDead.add(`bad-${i}`);
        else expectRun.add(TOLERATED + i);
        channel.publish('', queue, odd.body, { persistent: true, messageId: `bad-${i}`, headers: odd.headers });
        if (i % perGood === 0 && good < GOOD) {
          const job = {
            jobId: `good-${good}`,
            functionName: 'typed',
            args: [],
            kwargs: { count: good },
            jobTry: 1,
            enqueueTime: new Date(),
            queueName: queue,
            deferUntil: null,
            expires: null,
          };
          channel.publish('', queue, encodeJobBody(job), jobPublishOptions(job));
          good += 1;
        }
        if (i % 500 === 0) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      const published = Date.now();
      const settled = await waitFor(
        async () =>
          (await depth(SHARED_URL, dlq)) >= expectDead.size &&
          countCompletions(log).distinct.size >= GOOD + expectRun.size,
        180_000,
        250,
      );
      const drainMs = Date.now() - published;
      // Read every dead letter once: each malformed message exactly once, each with its category.
      const seen = new Map<string, number>();
      let withoutCategory = 0;
      const reader = await connection.createChannel();
      for (;;) {
        const message = await reader.get(dlq, { noAck: true });
        if (!message) break;
        const id = String(message.properties.messageId);
        seen.set(id, (seen.get(id) ?? 0) + 1);
        if (typeof message.properties.headers?.['x-error-category'] !== 'string') withoutCategory += 1;
      }
      const notOnce = [...expectDead].filter((id) => seen.get(id) !== 1).length;
      const unexpected = [...seen.keys()].filter((id) => !expectDead.has(id)).length;
      const { distinct, duplicates } = countCompletions(log);
      const goodRuns = [...distinct].filter((n) => n < TOLERATED).length;
      const toleratedRuns = [...distinct].filter((n) => expectRun.has(n)).length;
      const alive = worker.child.exitCode === null;
      const rssAfter = alive ? rssMiB(pid) : NaN;
      const ok =
        settled &&
        alive &&
        notOnce === 0 &&
        unexpected === 0 &&
        withoutCategory === 0 &&
        goodRuns === GOOD &&
        toleratedRuns === expectRun.size &&
        duplicates === 0;
      return {
        ok,
        line:
          `${BAD} odd messages + ${GOOD} valid, handled in ${(drainMs / 1000).toFixed(1)} s: worker ${alive ? 'alive' : 'DEAD'}, ` +
          `${goodRuns}/${GOOD} valid and ${toleratedRuns}/${expectRun.size} tolerated completed, ${duplicates} ran twice, ` +
          `DLQ ${seen.size}/${expectDead.size} (${notOnce} not exactly once, ${unexpected} unexpected, ` +
          `${withoutCategory} without x-error-category), worker RSS ${rssBefore} -> ${rssAfter} MiB`,
      };
    } finally {
      await connection.close().catch(() => undefined);
      await stopWorker(worker);
      await deleteQueues(SHARED_URL, queue, dlq);
    }
  },
};
