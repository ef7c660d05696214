import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadLetterMessage, redeferMessage, retryMessage } from '../../runtime/worker/outcome-messages.js';
import { NonRetryable } from '../../runtime/errors.js';
import { encodeJobBody } from '../../runtime/wire-format.js';
import type { JobEnvelope } from '../../runtime/wire-format.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const job: JobEnvelope = {
  jobId: 'j1',
  functionName: 'f',
  args: [],
  kwargs: { a: 1 },
  jobTry: 2,
  enqueueTime: new Date(now - 5_000),
  queueName: 'q',
  deferUntil: null,
  expires: null,
};
const delivered = {
  queue: 'q',
  message: {
    content: encodeJobBody(job),
    properties: {
      messageId: 'j1',
      type: 'f',
      contentType: 'application/json',
      correlationId: 'trace-7',
      timestamp: 1,
      headers: { 'x-retry-count': 1, 'x-arq-version': 1, traceparent: 'tp', 'x-death': [{}], 'x-delivery-count': 3 },
    },
  },
} as unknown as Parameters<typeof retryMessage>[1];

describe('outcome messages', () => {
  it('a retry: next attempt number, due time, the ladder route, trace headers kept and broker bookkeeping dropped', () => {
    const retry = retryMessage(job, delivered, 1_000, 'arq', now);
    assert.equal(retry.jobTry, 3);
    assert.equal(retry.due, now + 1_000);
    assert.equal(retry.message.exchange.startsWith('arq.delay.v2.'), true);
    const body = JSON.parse(retry.message.body.toString()) as Record<string, unknown>;
    assert.equal(body.job_try, 3);
    assert.equal(body.defer_until, new Date(now + 1_000).toISOString());
    assert.deepEqual(retry.message.options.headers, { traceparent: 'tp', 'x-retry-count': 2, 'x-arq-version': 1 });
  });

  it('a retry shorter than a ladder unit goes straight to the queue', () => {
    const retry = retryMessage(job, delivered, 0, 'arq', now);
    assert.deepEqual([retry.message.exchange, retry.message.routingKey], ['', 'q']);
    assert.equal(retry.due, now);
  });

  it('a re-deferral: the body and published headers unchanged, through the ladder', () => {
    const message = redeferMessage(delivered, 'j1', 60_000, 'arq');
    assert.equal(message.body, delivered.message.content);
    assert.match(message.routingKey, /\.q$/);
    assert.deepEqual(message.options.headers, { 'x-retry-count': 1, 'x-arq-version': 1, traceparent: 'tp' });
  });

  it("a dead letter: <queue>_dlq, the body unchanged, the delivery's properties and the failure's facts", () => {
    const failedAt = new Date(now);
    const message = deadLetterMessage(delivered, {
      error: new NonRetryable('no'),
      category: 'non_retriable',
      jobId: 'j1',
      jobTry: 2,
      failedAt,
    });
    assert.deepEqual([message.exchange, message.routingKey], ['', 'q_dlq']);
    assert.equal(message.body, delivered.message.content);
    assert.equal(message.options.correlationId, 'trace-7');
    assert.equal(message.options.messageId, 'j1');
    assert.equal(message.options.deliveryMode, 2);
    const headers = message.options.headers as Record<string, unknown>;
    assert.equal(headers['x-error-type'], 'NonRetryable');
    assert.equal(headers['x-error-category'], 'non_retriable');
    assert.equal(headers['x-death'], undefined);
  });
});
