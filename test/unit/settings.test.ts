import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidSettings, RabbitMQClient, Worker, defaults } from '../../runtime/index.js';
import { resolveClientSettings, resolveWorkerSettings } from '../../runtime/settings/settings.js';

describe('settings', () => {
  it('reports every bad client field at once, in plain words', () => {
    assert.throws(
      () =>
        new RabbitMQClient({
          url: 'http://localhost',
          connectionTimeout: -1,
          queue: 'amq.nope',
          maxMessageBytes: 0,
          // @ts-expect-error: an unknown setting must be reported, not ignored
          prefetch_count: 5,
        }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidSettings);
        assert.equal(err.code, 'INVALID_SETTINGS');
        assert.match(err.message, /url: must start with amqp:\/\/, amqps:\/\/ or memory:\/\/ \(in-process\)/);
        assert.match(err.message, /connectionTimeout: must be greater than 0/);
        assert.match(err.message, /queue: must not start with "amq\."/);
        assert.match(err.message, /maxMessageBytes: must be greater than 0/);
        assert.match(err.message, /unknown setting\(s\) "prefetch_count"/);
        return true;
      },
    );
  });

  it('reports every bad worker field at once', () => {
    assert.throws(
      () =>
        new Worker({
          handlers: { ok: () => undefined, bad: { handler: 'nope' as never } },
          maxConcurrentJobs: 0,
          queue: 'has space',
          burst: { timeout: -5 },
        }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidSettings);
        assert.match(err.message, /handlers\.bad/);
        assert.match(err.message, /maxConcurrentJobs: must be greater than 0/);
        assert.match(err.message, /queue: must not contain/);
        assert.match(err.message, /burst/);
        return true;
      },
    );
    assert.throws(() => new Worker({ handlers: {} }), /handlers: must register at least one job/);
  });

  it('fills the documented defaults', () => {
    const client = resolveClientSettings({ logLevel: 'silent' });
    assert.deepEqual(client.urls, [process.env.AMQP_URL ?? defaults.url]);
    assert.equal(client.connectionTimeout, 30_000);
    assert.equal(client.heartbeat, 60_000);
    assert.equal(client.queue, 'default');
    assert.equal(client.queueType, 'quorum');
    assert.equal(client.maxMessageBytes, 1_048_576);

    const worker = resolveWorkerSettings({
      handlers: { a: () => undefined },
      maxConcurrentJobs: 7,
      burst: true,
      logLevel: 'silent',
    });
    assert.equal(worker.prefetchCount, 7, 'prefetch follows maxConcurrentJobs');
    assert.equal(worker.maxRetries, 3);
    assert.equal(worker.retryBackoff, 5_000);
    assert.equal(worker.retryBackoffMax, 300_000);
    assert.equal(worker.jobTimeout, 300_000);
    assert.equal(worker.gracefulShutdownTimeout, 30_000);
    assert.equal(worker.outcomePublishTimeout, 30_000);
    const split = resolveWorkerSettings({
      handlers: { a: () => undefined },
      connectionTimeout: 1_000,
      logLevel: 'silent',
    });
    assert.equal(split.outcomePublishTimeout, 30_000, 'a short connect timeout must not shorten the outcome deadline');
    assert.equal(worker.statsInterval, 60_000);
    assert.deepEqual(worker.burst, { timeout: 300_000, checkInterval: 1_000, waitForTasks: true });
  });

  it('reads the locale from LANG', async () => {
    const { localeFromEnvironment } = await import('../../runtime/logger.js');
    assert.equal(localeFromEnvironment({ LANG: 'zh_CN.UTF-8' }), 'zh-CN');
    assert.equal(localeFromEnvironment({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(localeFromEnvironment({}), 'en');
  });

  it('hides passwords in URLs', async () => {
    const { redactUrl } = await import('../../runtime/logger.js');
    assert.equal(redactUrl('amqp://user:secret@host:5672/vh'), 'amqp://user:***@host:5672/vh');
    assert.equal(redactUrl('amqp://host'), 'amqp://host');
  });
});
