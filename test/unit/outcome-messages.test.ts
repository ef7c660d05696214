import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countedReturnMessage,
  deadLetterMessage,
  redeferMessage,
  retryMessage,
  stopRequeueMessage,
} from '../../runtime/worker/outcome-messages.js';
import { cameBack, requeueMark, requeuedBy, returnsOf, returnsToCarry } from '../../runtime/worker/crash-guard.js';
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

  it('a stop giving a delivery back: the same message to the end of its queue, its returns carried, marked', () => {
    const back = stopRequeueMessage(delivered, 'j1', 3, 'unstarted');
    assert.equal(back.exchange, '');
    assert.equal(back.routingKey, 'q');
    assert.deepEqual(back.body, delivered.message.content);
    assert.equal(back.options.messageId, 'j1');
    assert.equal(back.options.correlationId, 'trace-7');
    assert.deepEqual(back.options.headers, {
      'x-retry-count': 1,
      'x-arq-version': 1,
      traceparent: 'tp',
      'x-death': [{}],
      'x-arq-returns': 3,
      'x-arq-requeued': 'unstarted',
    });
  });

  it('a stop keeps the count of returns unchanged on either queue type, and the mark of an interrupted job', () => {
    const message = (redelivered: boolean, headers: Record<string, unknown>) =>
      ({ fields: { redelivered }, properties: { headers } }) as unknown as Parameters<typeof returnsOf>[0];
    // Quorum: three returns counted by the broker; after the stop the broker's count starts again, ours holds them.
    const quorum = message(true, { 'x-delivery-count': 3 });
    assert.equal(returnsToCarry(quorum, 'quorum'), 3);
    const afterStop = message(false, { 'x-arq-returns': 3, 'x-arq-requeued': 'unstarted' });
    assert.equal(returnsOf(afterStop, 'quorum'), 3);
    assert.equal(returnsOf(message(true, { 'x-arq-returns': 3, 'x-delivery-count': 1 }), 'quorum'), 4);
    // Classic: a redelivery not yet counted by the worker is counted once, here.
    assert.equal(returnsToCarry(message(true, { 'x-arq-returns': 2 }), 'classic'), 3);
    assert.equal(returnsToCarry(message(false, { 'x-arq-returns': 2 }), 'classic'), 2);
    // The mark: a job that ran once stays "interrupted" when a later stop gives it back before it started.
    assert.equal(requeueMark(message(false, {}), false), 'unstarted');
    assert.equal(requeueMark(message(false, {}), true), 'interrupted');
    assert.equal(requeueMark(message(false, { 'x-arq-requeued': 'interrupted' }), false), 'interrupted');
    assert.equal(requeuedBy(message(false, { 'x-arq-requeued': 'something else' })), undefined);
    assert.equal(cameBack(afterStop), true);
    assert.equal(cameBack(message(false, {})), false);
  });

  it('a counted return keeps the mark; a retry, re-deferral or dead letter drops it', () => {
    const marked = {
      ...delivered,
      message: {
        ...delivered.message,
        properties: { ...delivered.message.properties, headers: { 'x-arq-requeued': 'unstarted' } },
      },
    } as typeof delivered;
    assert.equal(countedReturnMessage(marked, 'j1', 1).options.headers?.['x-arq-requeued'], 'unstarted');
    assert.equal(retryMessage(job, marked, 0, 'arq', now).message.options.headers?.['x-arq-requeued'], undefined);
    assert.equal(redeferMessage(marked, 'j1', 60_000, 'arq').options.headers?.['x-arq-requeued'], undefined);
    const dead = deadLetterMessage(marked, {
      error: new NonRetryable('no'),
      category: 'non_retriable',
      jobId: 'j1',
      jobTry: 2,
      failedAt: new Date(now),
    });
    assert.equal(dead.options.headers?.['x-arq-requeued'], undefined);
  });
});
