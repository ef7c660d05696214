// Producers in other languages, as docs/other-languages.md shows them: the Python example (Debian's
// /usr/bin/python3 with pika and jsonschema) and the Go example (quicktype models, Debian's Go and
// amqp091-go in GOPATH mode) build a job, validate it against the generated JSON Schema (Python),
// and publish it in the documented wire format; a worker registered with the demo jobs' schemas
// (as the generated createWorker registers them) on a random queue completes it. A job the schema
// refuses is refused in Python too and, published anyway, dead-lettered by the worker with the Zod
// issues.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Message } from 'amqplib';
import { demoHandlersOn } from '../../examples/demo-worker.js';
import type { JobOutcome } from '../../runtime/index.js';
import {
  AMQP_URL,
  closeAdmin,
  deleteJobQueue,
  deleteQueues,
  queueDepth,
  run,
  uniqueName,
  waitFor,
  withChannel,
} from '../helpers/broker.js';
import {
  assertNoSocketLeak,
  bodyOf,
  consumeAll,
  headersOf,
  socketBaseline,
  startWorker,
} from '../helpers/worker-harness.js';
import {
  assertPresent,
  goWithAmqp091,
  pythonWithPikaAndJsonschema,
  skipUnlessPresent,
} from '../helpers/external-tools.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const python = '/usr/bin/python3';
const pythonExample = join(repoRoot, 'examples/python/publish_job.py');
const goExample = join(repoRoot, 'examples/go');
const scratch = mkdtempSync(join(tmpdir(), 'arq-cross-language-'));

after(async () => {
  await closeAdmin();
  rmSync(scratch, { recursive: true, force: true });
});

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; a non-zero exit is a result, not an exception. */
async function exec(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Finished> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, AMQP_URL, ...options.env },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const failure = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof failure.code !== 'number') throw err;
    return { code: failure.code, stdout: String(failure.stdout ?? ''), stderr: String(failure.stderr ?? '') };
  }
}

/** The job id from the examples' last line: `published processData job <id> to queue "<queue>"`. */
function publishedJobId(output: Finished, queue: string): string {
  assert.equal(output.code, 0, output.stderr);
  const match = /^published processData job ([0-9a-f]{32}) to queue "(.+)"$/m.exec(output.stdout);
  assert.ok(match, output.stdout);
  assert.equal(match[2], queue);
  return match[1] as string;
}

/** A plain classic queue nobody consumes: what a producer publishes there can be read back exactly. */
async function spyQueue(): Promise<string> {
  const spy = uniqueName('xl-spy');
  await withChannel((channel) => channel.assertQueue(spy, { durable: false }));
  return spy;
}

/** The documented wire format (docs/wire-format.md), checked on a message as the broker holds it. */
function assertWireFormat(message: Message, jobId: string, queue: string): Record<string, unknown> {
  const { properties } = message;
  assert.equal(properties.contentType, 'application/json');
  assert.equal(properties.deliveryMode, 2);
  assert.equal(properties.messageId, jobId);
  assert.equal(properties.type, 'processData');
  assert.equal(typeof properties.timestamp, 'number');
  assert.ok(Math.abs(properties.timestamp * 1000 - Date.now()) < 120_000, 'timestamp is in seconds');
  const headers = headersOf(message);
  assert.equal(Number(headers['x-retry-count']), 0);
  assert.equal(Number(headers['x-arq-version']), 1);
  const body = bodyOf(message);
  assert.deepEqual(Object.keys(body).sort(), [
    'args',
    'defer_until',
    'enqueue_time',
    'expires',
    'function',
    'job_id',
    'job_try',
    'kwargs',
    'queue_name',
  ]);
  assert.equal(body.job_id, jobId);
  assert.equal(body.function, 'processData');
  assert.deepEqual(body.args, []);
  assert.equal(body.job_try, 1);
  assert.equal(body.queue_name, queue);
  assert.equal(body.defer_until, null);
  assert.equal(body.expires, null);
  assert.match(String(body.enqueue_time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  return body;
}

/** A worker for the demo jobs on `queue`, recording every outcome by job id. */
async function demoWorker(queue: string): Promise<{
  outcomes: Map<string, JobOutcome>;
  close: () => Promise<void>;
}> {
  const outcomes = new Map<string, JobOutcome>();
  const { worker } = await startWorker({
    queue,
    handlers: demoHandlersOn(queue),
    onJobEnd: (ctx, outcome) => void outcomes.set(ctx.jobId, outcome),
  });
  return { outcomes, close: () => worker.close() };
}

describe('producers in other languages', () => {
  it(
    'Python (pika + jsonschema): validates, publishes the documented format, and the worker completes the job; an invalid job is refused in Python and dead-lettered with the Zod issues',
    { skip: skipUnlessPresent(pythonWithPikaAndJsonschema) },
    async () => {
      assertPresent(pythonWithPikaAndJsonschema);
      const baseline = await socketBaseline();
      const queue = uniqueName('xl-python');
      const spy = await spyQueue();
      const { outcomes, close } = await demoWorker(queue);
      try {
        // The wire format, read back from a queue nobody consumes.
        const toSpy = await exec(python, [pythonExample, '--queue', spy]);
        const spyJobId = publishedJobId(toSpy, spy);
        const [copy] = await consumeAll(spy);
        assert.ok(copy, 'the Python job did not reach the spy queue');
        const body = assertWireFormat(copy, spyJobId, spy);
        assert.match(String(body.enqueue_time), /\+00:00$/, "Python's isoformat() of a UTC time");
        assert.deepEqual(Object.keys(body.kwargs as object).sort(), ['action', 'dataId', 'notBefore', 'payload']);

        // The worker runs it.
        const jobId = publishedJobId(await exec(python, [pythonExample], { env: { ARQ_QUEUE: queue } }), queue);
        assert.ok(await waitFor(() => outcomes.has(jobId), 20_000), 'the Python job never finished');
        const outcome = outcomes.get(jobId);
        assert.equal(outcome?.status, 'complete', JSON.stringify(outcome));
        assert.deepEqual((outcome as { result: Record<string, unknown> }).result.dataId, 42);

        // An invalid job: refused by the schema in Python, nothing published.
        const bad = JSON.stringify({ dataId: 'forty-two', action: 'explode', payload: 'x' });
        const refused = await exec(python, [pythonExample, '--queue', queue, '--kwargs', bad]);
        assert.equal(refused.code, 2, refused.stdout + refused.stderr);
        assert.match(refused.stderr, /^invalid: kwargs\/dataId: 'forty-two' is not of type 'integer'$/m);
        assert.match(
          refused.stderr,
          /^invalid: kwargs\/action: 'explode' is not one of \['process', 'retry', 'cleanup'\]$/m,
        );
        assert.doesNotMatch(refused.stdout, /published/);

        // Published anyway: the worker dead-letters it at once with the Zod issues.
        const published = await exec(python, [pythonExample, '--queue', queue, '--kwargs', bad, '--publish-invalid']);
        const badJobId = publishedJobId(published, queue);
        assert.ok(await waitFor(async () => (await queueDepth(`${queue}_dlq`)) === 1, 20_000), 'nothing dead-lettered');
        const [dead] = await consumeAll(`${queue}_dlq`);
        assert.ok(dead);
        const headers = headersOf(dead);
        assert.equal(headers['x-error-category'], 'invalid');
        assert.equal(headers['x-error-code'], 'INVALID_JOB_ARGS');
        assert.equal(headers['x-error-type'], 'InvalidJobArgs');
        assert.equal(String(headers['x-job-id']), badJobId);
        const issues = String(headers['x-error-message']);
        assert.match(issues, /dataId: .*expected number, received string/);
        assert.match(issues, /action: .*expected one of "process"\|"retry"\|"cleanup"/);
        assert.equal(bodyOf(dead).job_id, badJobId, 'the body is kept as it was');
        assert.equal(outcomes.has(badJobId), false, 'no handler ran for it');
      } finally {
        await close();
        await deleteQueues(spy);
        await deleteJobQueue(queue);
      }
      await assertNoSocketLeak(baseline);
    },
  );

  it(
    'Go (quicktype models, Debian amqp091-go, GOPATH mode): the committed models are what quicktype generates, the program builds, publishes the documented format, and the worker completes the job',
    { skip: skipUnlessPresent(goWithAmqp091) },
    async () => {
      assertPresent(goWithAmqp091);
      const baseline = await socketBaseline();

      // The committed models are exactly what the documented quicktype command writes (then gofmt).
      const models = join(scratch, 'jobs.go');
      const quicktype = join(repoRoot, 'node_modules/quicktype/dist/index.js');
      const generated = await exec(process.execPath, [
        quicktype,
        '--src-lang',
        'schema',
        '--lang',
        'go',
        '--package',
        'main',
        '--out',
        models,
        'generated/schemas/envelope.json#/definitions/',
      ]);
      assert.equal(generated.code, 0, generated.stderr);
      assert.equal((await exec('gofmt', ['-w', models])).code, 0);
      assert.equal(
        readFileSync(models, 'utf8'),
        readFileSync(join(goExample, 'jobs.go'), 'utf8'),
        'examples/go/jobs.go is stale: regenerate it with the quicktype command in docs/other-languages.md',
      );

      const binary = join(scratch, 'publish_job');
      const gopath = join(scratch, 'gopath');
      const built = await exec('go', ['build', '-o', binary, '.'], {
        cwd: goExample,
        env: {
          GO111MODULE: 'off',
          GOPATH: `/usr/share/gocode:${gopath}`,
          GOFLAGS: '',
          GOCACHE: process.env.GOCACHE ?? join(scratch, 'gocache'),
        },
      });
      assert.equal(built.code, 0, built.stderr);

      const queue = uniqueName('xl-go');
      const spy = await spyQueue();
      const { outcomes, close } = await demoWorker(queue);
      try {
        const spyJobId = publishedJobId(await exec(binary, ['-queue', spy, '-url', AMQP_URL]), spy);
        const [copy] = await consumeAll(spy);
        assert.ok(copy, 'the Go job did not reach the spy queue');
        const body = assertWireFormat(copy, spyJobId, spy);
        assert.deepEqual(Object.keys(body.kwargs as object).sort(), ['action', 'dataId', 'notBefore', 'payload']);

        const jobId = publishedJobId(await exec(binary, [], { env: { ARQ_QUEUE: queue } }), queue);
        assert.ok(await waitFor(() => outcomes.has(jobId), 20_000), 'the Go job never finished');
        const outcome = outcomes.get(jobId);
        assert.equal(outcome?.status, 'complete', JSON.stringify(outcome));
        assert.equal((outcome as { result: Record<string, unknown> }).result.dataId, 7);

        // A queue no worker declared: the program refuses to create it and says what to do.
        const missing = await exec(binary, ['-queue', uniqueName('xl-missing')]);
        assert.notEqual(missing.code, 0);
        assert.match(missing.stderr, /start a rabbitmq-arq worker for it first/);
      } finally {
        await close();
        await deleteQueues(spy);
        await deleteJobQueue(queue);
      }
      await assertNoSocketLeak(baseline);
    },
  );
});
