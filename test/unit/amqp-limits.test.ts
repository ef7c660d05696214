/** AMQP's limits and error shapes the runtime must respect: short strings, and which broker errors are fatal. */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidEnqueueOptions, RabbitMQClient } from '../../runtime/index.js';
import { isConfigurationError } from '../../runtime/transport/connection.js';
import { MAX_JOB_ID_BYTES, decodeJobMessage } from '../../runtime/wire-format.js';

const body = (fields: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ function: 'j', ...fields }));

describe('AMQP limits', () => {
  it('refuses a job_id or function name longer than an AMQP short string', () => {
    const long = decodeJobMessage(body({ job_id: 'a'.repeat(MAX_JOB_ID_BYTES + 1) }), undefined);
    assert.equal(long.ok, false);
    assert.match(!long.ok ? long.error.message : '', /job_id is longer than 255 bytes/);
    const longName = decodeJobMessage(body({ function: 'f'.repeat(256) }), undefined);
    assert.equal(longName.ok, false);
    assert.equal(decodeJobMessage(body({ job_id: 'a'.repeat(MAX_JOB_ID_BYTES) }), undefined).ok, true);
  });

  it('refuses such a jobId or job name at enqueue, before connecting', async () => {
    const client = new RabbitMQClient({
      url: 'amqp://guest:guest@127.0.0.1:1',
      connectionTimeout: 60_000,
      logLevel: 'silent',
    });
    const started = Date.now();
    await assert.rejects(client.enqueueJob('j', {}, { jobId: 'a'.repeat(300) }), InvalidEnqueueOptions);
    await assert.rejects(client.enqueueJob('f'.repeat(256), {}), InvalidEnqueueOptions);
    await assert.rejects(client.enqueueJob('j', {}, { queue: 'amq.reserved' }), InvalidEnqueueOptions);
    assert.ok(Date.now() - started < 1_000);
    await client.close();
  });

  it('treats only access, precondition and vhost refusals as fatal, not digits in a name', () => {
    assert.equal(
      isConfigurationError(
        Object.assign(new Error('Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED)'), { code: 406 }),
      ),
      true,
    );
    assert.equal(
      isConfigurationError(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "…"')),
      true,
    );
    assert.equal(
      isConfigurationError(Object.assign(new Error("NOT_FOUND - no queue 'jobs-406' in vhost '/'"), { code: 404 })),
      false,
    );
    assert.equal(isConfigurationError(new Error('getaddrinfo ENOTFOUND host-403.example')), false);
  });
});
