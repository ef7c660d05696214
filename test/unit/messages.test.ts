import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogues, RuntimeLog } from '../../runtime/messages.js';
import { createConsoleLogger } from '../../runtime/logger.js';
import { Writable } from 'node:stream';

describe('message catalogue', () => {
  it('covers every key in both locales, with a different text for each', () => {
    const en = Object.keys(catalogues.en).sort();
    const zh = Object.keys(catalogues['zh-CN']).sort();
    assert.deepEqual(zh, en);
    const params = {
      url: 'amqp://h',
      next: 'amqp://n',
      reason: 'r',
      attempt: 1,
      delay: 2,
      role: 'x',
      jobId: 'j',
      worker: 'w',
      queues: 'q',
      concurrency: 3,
      jobs: 'a',
      timeout: 4,
      running: 5,
      completed: 6,
      failed: 7,
      retried: 8,
      deadLettered: 9,
      ongoing: 10,
      signal: 'SIGTERM',
      hook: 'h',
      error: 'e',
      functionName: 'f',
      jobTry: 1,
      ms: 3,
      dlq: 'd',
      category: 'c',
      queue: 'q',
      early: 4,
      when: 'before it ran',
      address: '127.0.0.1:9464',
      aborted: 11,
      version: 'v1',
      waiting: 12,
      exchange: 'x',
      returns: 2,
      lease: 'l',
      schedule: 's',
      lastTick: 'lt',
      late: 12_000,
      tick: 't',
    };
    for (const key of en as Array<keyof typeof catalogues.en>) {
      const english = catalogues.en[key](params);
      const chinese = catalogues['zh-CN'][key](params);
      assert.ok(english.length > 0 && chinese.length > 0, key);
      assert.doesNotMatch(english + chinese, /undefined/, `${key} uses a parameter the test did not pass`);
      assert.notEqual(chinese, english, `${key} is translated`);
    }
  });

  it('writes the key as `event` and the localized text as the message', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const log = new RuntimeLog(createConsoleLogger({ format: 'json', stream, level: 'info' }), 'zh-CN');
    log.info('worker.stats', { completed: 100, failed: 5, retried: 10, ongoing: 2, deadLettered: 0, aborted: 1 });
    log.debug('job.start', { jobId: 'x', functionName: 'f', jobTry: 1 });
    assert.equal(lines.length, 1, 'debug is below the level');
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(line.event, 'worker.stats');
    assert.equal(line.msg, '◆ 100 个任务完成 ◆ 5 个失败 ◆ 10 个重试 ◆ 2 个待完成 ◆ 0 个死信 ◆ 1 个中止');
    assert.equal(line.level, 'info');
  });

  it('applies logLevel to a custom logger too, at every level', () => {
    const seen: string[] = [];
    const logger = {
      debug: () => seen.push('debug'),
      info: () => seen.push('info'),
      warn: () => seen.push('warn'),
      error: () => seen.push('error'),
    };
    const emitAll = (log: RuntimeLog): void => {
      log.debug('job.start', { jobId: 'x', functionName: 'f', jobTry: 1 });
      log.info('worker.stopping', { reason: 'r', timeout: 1, running: 0 });
      log.warn('job.assigned_id', { queue: 'q', jobId: 'j' });
      log.error('worker.startup_failed', { error: 'e' });
    };
    const expected = {
      debug: ['debug', 'info', 'warn', 'error'],
      info: ['info', 'warn', 'error'],
      warn: ['warn', 'error'],
      error: ['error'],
      silent: [],
    } as const;
    for (const [level, lines] of Object.entries(expected)) {
      seen.length = 0;
      emitAll(new RuntimeLog(logger, 'en', level as keyof typeof expected));
      assert.deepEqual(seen, lines, `logLevel ${level}`);
    }
  });

  it('prints human lines on a terminal', () => {
    const lines: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
      { isTTY: true },
    );
    createConsoleLogger({ stream }).warn('hello', { a: 1 });
    assert.match(lines[0] ?? '', /^\d{4}-\d{2}-\d{2}T\S+ WARN {2}hello \{"a":1\}\n$/);
  });
});
