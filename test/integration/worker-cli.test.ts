/** `arq-gen worker` as a user runs it: a TypeScript module, flags, burst mode, signals. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, describe, it } from 'node:test';
import { RabbitMQClient } from '../../runtime/index.js';
import { closeAdmin, deleteJobQueue, queueDepth, recordingLogger, uniqueName, waitFor } from '../helpers/broker.js';

const queues: string[] = [];
const fixture = new URL('./fixtures/cli-worker-module.ts', import.meta.url).pathname;
const main = new URL('../../cli/main.ts', import.meta.url).pathname;

function runCli(args: string[]): {
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'worker', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { stdout, stderr, exited, kill: (signal) => child.kill(signal) };
}

async function enqueueShout(queue: string, words: string[]): Promise<void> {
  const client = new RabbitMQClient({ defaultQueue: queue, logger: recordingLogger() });
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

describe('arq-gen worker', () => {
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

  it('exits 1 with a one-line reason for a bad module or bad settings', async () => {
    const missing = runCli(['-m', `${fixture}:nothingHere`]);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr.join(''), /has no export "nothingHere"; it exports .*functions/);
    const bad = runCli(['-m', `${fixture}:workerSettings`, '--max-concurrent-jobs', '0']);
    assert.equal(await bad.exited, 1);
    assert.match(bad.stderr.join(''), /maxConcurrentJobs: must be greater than 0/);
  });
});
