/** `rabbitmq-arq worker` as a user runs it: a TypeScript module, flags, burst mode, signals. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/index.js';
import { closeAdmin, deleteJobQueue, queueDepth, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';

const queues: string[] = [];
const fixture = new URL('./fixtures/cli-worker-module.ts', import.meta.url).pathname;
const main = new URL('../../cli/main.ts', import.meta.url).pathname;

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): {
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'worker', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { stdout, stderr, exited, kill: (signal) => child.kill(signal) };
}

async function enqueueShout(queue: string, words: string[]): Promise<void> {
  const client = new RabbitMQClient({ queue, logger: recordingLogger() });
  try {
    await client.enqueueJobs(words.map((word) => ({ name: 'shout', args: { word } })));
  } finally {
    await client.close();
  }
}

afterEach(async () => {
  for (const queue of queues.splice(0)) await deleteJobQueue(queue);
});
after(closeAdmin);

describe('rabbitmq-arq worker', () => {
  it('runs a bare list of functions with --burst and exits 0 once the queue is drained', async () => {
    const queue = uniqueName('cli-burst');
    queues.push(queue);
    await enqueueShout(queue, ['a', 'b', 'c']);
    const cli = runCli([
      '-m',
      `${fixture}:functions`,
      '-q',
      queue,
      '--burst',
      '--burst-check-interval',
      '200ms',
      '-l',
      'warn',
    ]);
    assert.equal(await cli.exited, 0, cli.stderr.join(''));
    const done = cli.stdout.map((line) => JSON.parse(line) as { word: string; queue: string });
    assert.deepEqual(done.map((d) => d.word).sort(), ['a', 'b', 'c']);
    assert.ok(
      done.every((d) => d.queue === queue),
      'the -q flag wins over the module',
    );
    assert.equal(await queueDepth(queue), 0);
  });

  it('runs exported settings until SIGTERM and exits 0', async () => {
    const queue = uniqueName('cli-settings');
    queues.push(queue);
    const cli = runCli(['-m', `${fixture}:workerSettings`, '--queue', queue]);
    await enqueueShout(queue, ['hello']);
    assert.ok(await waitFor(() => cli.stdout.length === 1, 20_000), cli.stderr.join(''));
    cli.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  it("honours the module's queueName and burst settings when no flag or variable names them", async () => {
    const queue = uniqueName('cli-module');
    queues.push(queue);
    await enqueueShout(queue, ['x', 'y']);
    const cli = runCli(['-m', `${fixture}:moduleQueueSettings`], { TEST_MODULE_QUEUE: queue, ARQ_QUEUE: '' });
    assert.equal(await cli.exited, 0, cli.stderr.join(''));
    assert.deepEqual(cli.stdout.map((line) => (JSON.parse(line) as { word: string }).word).sort(), ['x', 'y']);
  });

  it('takes the queue and burst mode from ARQ_* variables', async () => {
    const queue = uniqueName('cli-env');
    queues.push(queue);
    await enqueueShout(queue, ['e']);
    const cli = runCli(['-m', `${fixture}:workerSettings`], {
      ARQ_QUEUE: queue,
      ARQ_BURST: 'true',
      ARQ_BURST_CHECK_INTERVAL: '200ms',
    });
    assert.equal(await cli.exited, 0, cli.stderr.join(''));
    assert.equal(cli.stdout.length, 1);
  });

  it('fails at once with one line for a wrong path, a missing export, a bad variable or a dead broker', async () => {
    const wrongPath = runCli(['-m', './no/such/worker.ts:settings']);
    assert.equal(await wrongPath.exited, 1);
    assert.match(wrongPath.stderr.join(''), /^rabbitmq-arq worker: worker module not found: \/.*no\/such\/worker\.ts/);

    const badVariable = runCli(['-m', `${fixture}:workerSettings`], { ARQ_JOB_TIMEOUT: '5x' });
    assert.equal(await badVariable.exited, 1);
    assert.match(badVariable.stderr.join(''), /ARQ_JOB_TIMEOUT: "5x" is not a duration/);

    const started = Date.now();
    const dead = runCli([
      '-m',
      `${fixture}:workerSettings`,
      '-u',
      'amqp://guest:hunter2-secret@127.0.0.1:1',
      '--connection-timeout',
      '1s',
    ]);
    assert.equal(await dead.exited, 1);
    const output = dead.stderr.join('');
    assert.ok(Date.now() - started < 15_000, 'fails within the connect timeout, not at SIGTERM');
    assert.equal(output.trim().split('\n').length, 1, output);
    assert.match(output, /cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1.*rabbitmq-server -detached/);
    assert.doesNotMatch(output, /hunter2/);
  });

  it('warns first, in one line, when npx started it (npm would not pass SIGTERM on)', async () => {
    const throughNpx = runCli(['-m', './no/such/worker.ts:settings'], {
      npm_command: 'exec',
      npm_lifecycle_script: 'rabbitmq-arq',
      LANG: 'C.UTF-8',
    });
    assert.equal(await throughNpx.exited, 1);
    const [warning, failure] = throughNpx.stderr.join('').split('\n');
    assert.match(
      warning ?? '',
      /^rabbitmq-arq worker: warning: started through npm \(exec\), which does not pass SIGTERM on/,
    );
    assert.match(failure ?? '', /^rabbitmq-arq worker: worker module not found/);
  });

  it('exits 1 with a one-line reason for a bad module or bad settings', async () => {
    const missing = runCli(['-m', `${fixture}:nothingHere`]);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr.join(''), /has no export "nothingHere"; it exports .*functions/);
    const bad = runCli(['-m', `${fixture}:workerSettings`, '--max-concurrent-jobs', '0']);
    assert.equal(await bad.exited, 1);
    assert.match(bad.stderr.join(''), /maxConcurrentJobs: must be greater than 0/);
  });
});
