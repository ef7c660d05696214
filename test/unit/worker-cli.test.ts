import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../cli/parse-duration.js';
import { applyOverrides, overridesFromEnvironment, parseModuleSpec } from '../../cli/worker-module.js';

describe('arq-gen worker options', () => {
  it('parses durations; a bare number is seconds', () => {
    assert.equal(parseDuration('300'), 300_000);
    assert.equal(parseDuration('300s'), 300_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.throws(() => parseDuration('soon'), /"soon" is not a duration: use e\.g\. 300 \(seconds\)/);
  });

  it('splits path:export, defaulting to the default export', () => {
    assert.deepEqual(parseModuleSpec('./workers.ts:workerSettings'), {
      file: './workers.ts',
      exportName: 'workerSettings',
    });
    assert.deepEqual(parseModuleSpec('./workers.ts'), { file: './workers.ts', exportName: 'default' });
    assert.deepEqual(parseModuleSpec('C:\\app\\workers.ts'), { file: 'C:\\app\\workers.ts', exportName: 'default' });
  });

  it('layers flags over the environment over the module', () => {
    const handlers = { a: () => undefined };
    const env = overridesFromEnvironment({
      AMQP_URL: 'amqp://env',
      ARQ_QUEUE: 'from-env',
      ARQ_MAX_RETRIES: '7',
      ARQ_JOB_TIMEOUT: '',
    });
    assert.deepEqual(env, { url: 'amqp://env', queueName: 'from-env', maxRetries: 7 });
    const merged = applyOverrides(
      { handlers, queueName: 'from-module', maxRetries: 1, jobTimeout: 5, burst: { timeout: 9 } },
      env,
      {
        queueName: 'from-flag',
        burstCheckInterval: 250,
      },
    );
    assert.equal(merged.queueName, 'from-flag');
    assert.equal(merged.maxRetries, 7);
    assert.equal(merged.jobTimeout, 5);
    assert.equal(merged.url, 'amqp://env');
    assert.deepEqual(merged.burst, { timeout: 9, checkInterval: 250 });
    assert.deepEqual(applyOverrides({ handlers }, {}, { burst: true, burstNoWait: true }).burst, {
      waitForTasks: false,
    });
    assert.equal(applyOverrides({ handlers }, {}, {}).burst, undefined);
  });
});
