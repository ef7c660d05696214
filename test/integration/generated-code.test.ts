// End to end through generated code: generate from a schema into a throw-away project, fill in a
// handler, and run a worker and a producer through the generated client and worker wiring on the
// real broker. The handlers' side effects (lines in a file) prove what arrived and how it was decoded.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, it } from 'node:test';
import { runGenerate } from '../../generator/generate.js';
import { InvalidJobArgs, RabbitMQClient } from '../../runtime/index.js';
import type { RabbitMQClient as Client, Worker, WorkerSettings } from '../../runtime/index.js';
import { createScratch } from '../generator/scratch.js';
import { closeAdmin, deleteJobQueue, queueDepth, recordingLogger, waitFor } from '../helpers/broker.js';

const suffix = randomUUID().slice(0, 8);
const mainQueue = `gen-e2e-${suffix}`;
const notifyQueue = `gen-e2e-${suffix}-notify`;
const scratch = createScratch({
  'jobs.schema.ts': `import { z } from 'zod';
import { defineJobs, isoDate } from 'rabbitmq-arq';

export default defineJobs({
  queue: '${mainQueue}',
  jobs: {
    checksum: {
      description: 'Checksum a text.',
      args: z.object({
        text: z.string(),
        at: isoDate,
        tags: z.array(z.string()).default(['none']),
        owner: z.object({ name: z.string(), email: z.email().nullable() }),
      }),
      result: z.object({ sha256: z.string(), length: z.number().int() }),
      maxRetries: 1,
      timeout: 10_000,
    },
    notify: {
      args: z.object({ message: z.string() }),
      queue: '${notifyQueue}',
    },
  },
});
`,
});
const effects = join(scratch.folder, 'effects.jsonl');

after(async () => {
  await deleteJobQueue(mainQueue);
  await deleteJobQueue(notifyQueue);
  await closeAdmin();
  scratch.remove();
});

interface GeneratedModule {
  createEnqueue(
    client: Client,
  ): Record<string, (args: unknown, options?: unknown) => Promise<{ queueName: string; jobId: string }>>;
  createWorker(settings: Omit<WorkerSettings, 'handlers'>, handlers: unknown): Worker;
}

it('a producer and a worker talk through the generated code on the real broker', async () => {
  const report = await runGenerate(scratch.options());
  assert.equal(report.exitCode, 0, report.errors.join('\n'));
  assert.ok(existsSync(join(scratch.folder, 'handlers/checksum.ts')));

  // Fill in the handlers the way a user would: typed by the generated Handlers.
  scratch.write(
    'handlers/checksum.ts',
    `import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Handlers } from '../generated/worker.js';

const handler: Handlers['checksum'] = async (ctx, args) => {
  const sha256 = createHash('sha256').update(args.text).digest('hex');
  appendFileSync(${JSON.stringify(effects)}, JSON.stringify({
    job: ctx.functionName, queue: ctx.queueName, atIsDate: args.at instanceof Date, at: args.at.toISOString(),
    tags: args.tags, owner: args.owner, sha256,
  }) + '\\n');
  return { sha256, length: args.text.length };
};

export default handler;
`,
  );
  scratch.write(
    'handlers/notify.ts',
    `import { appendFileSync } from 'node:fs';
import type { Handlers } from '../generated/worker.js';

const handler: Handlers['notify'] = async (ctx, args) => {
  appendFileSync(${JSON.stringify(effects)}, JSON.stringify({ job: ctx.functionName, queue: ctx.queueName, message: args.message }) + '\\n');
};

export default handler;
`,
  );

  const generated = (await import(pathToFileURL(join(scratch.folder, 'generated/index.ts')).href)) as GeneratedModule;
  const { handlers } = (await import(pathToFileURL(join(scratch.folder, 'handlers/index.ts')).href)) as {
    handlers: unknown;
  };

  const worker = generated.createWorker({ queue: mainQueue, logger: recordingLogger(), statsInterval: 0 }, handlers);
  const running = worker.run();
  const client = new RabbitMQClient({ logger: recordingLogger() });
  try {
    const enqueue = generated.createEnqueue(client);
    const at = new Date('2025-03-04T05:06:07.000Z');
    const checksumJob = await enqueue.checksum!({
      text: 'hello',
      at,
      owner: { name: 'Ada', email: null },
      extra: 'stripped',
    });
    const notifyJob = await enqueue.notify!({ message: 'hi' });
    assert.equal(checksumJob.queueName, mainQueue, 'the schema’s default queue');
    assert.equal(notifyJob.queueName, notifyQueue, 'the job’s own queue');

    // A bad call is refused by the schema before anything is published.
    await assert.rejects(enqueue.checksum!({ text: 5, at, owner: { name: 'Ada', email: null } }), (err: unknown) => {
      assert.ok(err instanceof InvalidJobArgs);
      assert.equal(err.code, 'INVALID_JOB_ARGS');
      assert.deepEqual(
        err.issues.map((issue) => issue.path.join('.')),
        ['text'],
      );
      return true;
    });

    const lines = (): Record<string, unknown>[] =>
      existsSync(effects)
        ? readFileSync(effects, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Record<string, unknown>)
        : [];
    assert.ok(await waitFor(() => lines().length >= 2, 20_000), `handlers ran: ${JSON.stringify(lines())}`);
    const byJob = new Map(lines().map((line) => [line.job, line]));
    assert.deepEqual(byJob.get('checksum'), {
      job: 'checksum',
      queue: mainQueue,
      atIsDate: true,
      at: at.toISOString(),
      tags: ['none'],
      owner: { name: 'Ada', email: null },
      sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
    assert.deepEqual(byJob.get('notify'), { job: 'notify', queue: notifyQueue, message: 'hi' });
    assert.equal(lines().length, 2, 'the refused call published nothing');
    assert.equal(await queueDepth(mainQueue), 0);
  } finally {
    await client.close();
    await worker.close();
    await running;
  }
});
