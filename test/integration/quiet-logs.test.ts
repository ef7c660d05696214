// A producer script and a test on memory:// print nothing at the default log level: a client, and a
// worker on memory://, log only warnings and errors unless their logLevel asks for more. The script
// runs as a child process, as a user runs it, and both of its streams are read.
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AMQP_URL, closeAdmin, deleteJobQueue, queueDepth, run, uniqueName } from '../helpers/broker.js';

const script = new URL('./fixtures/quiet-producer.ts', import.meta.url).pathname;
after(closeAdmin);

/** Both streams of `quiet-producer.ts <args>`, run to its end. */
async function producer(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, AMQP_URL },
    timeout: 60_000,
  });
  return String(stdout) + String(stderr);
}

describe('quiet by default', () => {
  it('a producer script on RabbitMQ prints nothing; with logLevel info it says it connected', async () => {
    const queue = uniqueName('quiet-producer');
    try {
      assert.equal(await producer(AMQP_URL, queue), '');
      assert.equal(await queueDepth(queue), 1, 'the job was not published');
      const asked = await producer(AMQP_URL, queue, 'info');
      assert.match(asked, /"event":"connection.connected"/);
    } finally {
      await deleteJobQueue(queue);
    }
  });

  it('a test on memory:// (client, worker, drain) prints nothing; with logLevel info the worker says it started', async () => {
    assert.equal(await producer('memory://quiet-test', 'default'), '');
    const asked = await producer('memory://quiet-test', 'default', 'info');
    assert.match(asked, /"event":"worker.started"/);
  });
});
