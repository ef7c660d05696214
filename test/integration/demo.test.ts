/** `npm run demo`, the README's first command, tells its whole story and exits 0; without a broker it says so in one line. */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { closeAdmin, withChannel } from '../helpers/broker.js';

after(closeAdmin);

/** The demo leaves its dead job in default_dlq, as a user would want to see it; the test takes it out again. */
async function removeDeadLetter(queue: string, jobId: string): Promise<void> {
  await withChannel(async (channel) => {
    for (;;) {
      const message = await channel.get(`${queue}_dlq`, { noAck: false });
      if (!message) throw new Error(`dead letter ${jobId} not found in ${queue}_dlq`);
      if (message.properties.messageId === jobId) {
        channel.ack(message);
        return; // closing the channel puts back every other message it took
      }
    }
  });
}

const demo = new URL('../../examples/demo.ts', import.meta.url).pathname;

async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', demo], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the demo', () => {
  it('shows a refused call, a retry with backoff, Retry({ defer }), a dead letter with its reason and a delayed job on time', async () => {
    const { code, stdout, stderr } = await runDemo({});
    assert.equal(code, 0, stdout + stderr);
    assert.match(stdout, /producer {2}refused before publishing: invalid arguments for job "processData"/);
    assert.match(stdout, /processData #\w+ try 1: failed \(Error: upstream busy for data item 2\); retry in \d+ ms/);
    assert.match(stdout, /processData #\w+ try 1: failed \(Retry: data item 3 is not due before /);
    assert.match(
      stdout,
      /cleanupExpired #\w+ try 1: dead-lettered \(non_retriable\): NonRetryable: entry session:from-the-future/,
    );
    const summary =
      /done {6}7 jobs: 5 complete \(2 after a retry\), 2 dead-lettered \(([0-9a-f]{32}), ([0-9a-f]{32}): .*the delayed job ran \d+ ms after its due time\n$/.exec(
        stdout,
      );
    assert.ok(summary, stdout);
    // The command the demo points to works where it is printed: in this checkout, nothing built.
    const printed = /see `(npm run rabbitmq-arq -- dlq list -q default)`/.exec(stdout)?.[1];
    assert.ok(printed, 'the demo names the command that lists its dead letters');
    const [npm, ...args] = printed.split(' ');
    const listed = await promisify(execFile)(npm!, args, { cwd: new URL('../../', import.meta.url).pathname });
    assert.ok(listed.stdout.includes(summary[1]!), listed.stdout);
    await removeDeadLetter('default', summary[1]!);
    await removeDeadLetter('default', summary[2]!);
    assert.equal(stderr, '', 'the demo logged more than its story');
  });

  it('without a broker, says so in one line (no password) and tells the same story on the in-process broker', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runDemo({ AMQP_URL: 'amqp://guest:hunter2@127.0.0.1:1' });
    assert.equal(code, 0, stdout + stderr);
    assert.ok(Date.now() - started < 15_000, 'the whole demo takes under 15 s');
    assert.match(
      stdout,
      /^demo: no RabbitMQ answered within 2 s at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1\/?; running on the in-process broker/,
    );
    assert.match(stdout, /processData #\w+ try 1: failed \(Error: upstream busy for data item 2\); retry in \d+ ms/);
    assert.match(stdout, /processData #\w+ try 1: failed \(Retry: data item 3 is not due before /);
    assert.match(stdout, /cleanupExpired #\w+ try 1: dead-lettered \(non_retriable\)/);
    assert.match(stdout, /fetchPreview #\w+ try 2: dead-lettered \(retriable\): JobTimeout: /);
    assert.match(
      stdout,
      /done {6}7 jobs: 5 complete \(2 after a retry\), 2 dead-lettered .*the delayed job ran \d+ ms after its due time\n$/,
    );
    assert.doesNotMatch(stdout + stderr, /hunter2/);
    assert.equal(stderr, '');
  });
});
