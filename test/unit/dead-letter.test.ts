// Headers of a message the worker dead-letters (docs/wire-format.md, "Dead-letter headers").
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ERROR_MESSAGE_BYTES, deadLetterHeaders, truncateUtf8 } from '../../runtime/worker/dead-letter.js';
import { InvalidJobArgs, JobTimeout, NonRetryable, UnknownJob, UnsupportedWireVersion } from '../../runtime/errors.js';
import type { DeadLetterCategory } from '../../runtime/types.js';

const failedAt = new Date('2025-01-10T10:31:02.417Z');
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function facts(error: unknown, category: DeadLetterCategory = 'retriable') {
  return { error, category, jobId: 'b3a9e0c4d5f61728394a5b6c7d8e9f01', jobTry: 4, failedAt };
}

describe('deadLetterHeaders', () => {
  it('writes every documented header', () => {
    const headers = deadLetterHeaders(
      { 'x-retry-count': 3, 'x-arq-version': 1 },
      facts(new NonRetryable('card declined'), 'non_retriable'),
    );
    assert.deepEqual(headers, {
      'x-retry-count': 3,
      'x-arq-version': 1,
      'x-error-type': 'NonRetryable',
      'x-error-code': 'NON_RETRYABLE',
      'x-error-message': 'card declined',
      'x-error-category': 'non_retriable',
      'x-failed-at': '2025-01-10T10:31:02.417Z',
      'x-job-id': 'b3a9e0c4d5f61728394a5b6c7d8e9f01',
      'x-job-try': 4,
    });
  });

  it('writes x-error-code for our errors, and none for an error without a code', () => {
    const ours = [
      [new JobTimeout(300), 'JobTimeout', 'JOB_TIMEOUT'],
      [new UnknownJob('nope'), 'UnknownJob', 'UNKNOWN_JOB'],
      [new InvalidJobArgs('job', [], 'too many'), 'InvalidJobArgs', 'INVALID_JOB_ARGS'],
      [new UnsupportedWireVersion('2'), 'UnsupportedWireVersion', 'UNSUPPORTED_WIRE_VERSION'],
    ] as const;
    for (const [error, type, code] of ours) {
      const headers = deadLetterHeaders({}, facts(error));
      assert.equal(headers['x-error-type'], type);
      assert.equal(headers['x-error-code'], code);
    }
    const plain = deadLetterHeaders({}, facts(new TypeError('x is undefined')));
    assert.equal(plain['x-error-type'], 'TypeError');
    assert.equal(plain['x-error-message'], 'x is undefined');
    assert.equal('x-error-code' in plain, false);
    const numeric = deadLetterHeaders({}, facts(Object.assign(new Error('amqp'), { code: 406 })));
    assert.equal('x-error-code' in numeric, false);
  });

  it('describes a thrown value that is not an Error', () => {
    const headers = deadLetterHeaders({}, facts('boom'));
    assert.equal(headers['x-error-type'], 'string');
    assert.equal(headers['x-error-message'], 'boom');
    assert.equal('x-error-code' in headers, false);
  });

  it('leaves out x-job-id and x-job-try when the message could not be read', () => {
    const headers = deadLetterHeaders(undefined, {
      error: new Error('not json'),
      category: 'invalid',
      jobId: undefined,
      jobTry: undefined,
      failedAt,
    });
    assert.equal('x-job-id' in headers, false);
    assert.equal('x-job-try' in headers, false);
    assert.equal(headers['x-error-category'], 'invalid');
  });

  it('keeps trace, user, version and retry headers; drops the broker’s bookkeeping and an earlier failure', () => {
    const headers = deadLetterHeaders(
      {
        traceparent,
        tracestate: 'vendor=1',
        'x-tenant': 'acme',
        'x-retry-count': 2,
        'x-arq-version': '2.0',
        'x-death': [{ count: 1, reason: 'expired', queue: 'arq.delay.v1.level03' }],
        'x-delivery-count': 5,
        'x-first-death-exchange': '',
        'x-first-death-queue': 'jobs',
        'x-first-death-reason': 'delivery_limit',
        'x-last-death-exchange': '',
        'x-last-death-queue': 'jobs',
        'x-last-death-reason': 'delivery_limit',
        'x-error-type': 'OldError',
        'x-error-code': 'OLD',
        'x-error-message': 'an earlier failure',
        'x-error-category': 'retriable',
        'x-error-detail': 'from a newer producer',
      },
      facts(new TypeError('now'), 'retriable'),
    );
    assert.deepEqual(headers, {
      traceparent,
      tracestate: 'vendor=1',
      'x-tenant': 'acme',
      'x-retry-count': 2,
      'x-arq-version': '2.0',
      'x-error-type': 'TypeError',
      'x-error-message': 'now',
      'x-error-category': 'retriable',
      'x-failed-at': '2025-01-10T10:31:02.417Z',
      'x-job-id': 'b3a9e0c4d5f61728394a5b6c7d8e9f01',
      'x-job-try': 4,
    });
  });

  it('cuts a huge error message to 4 KiB, so the headers stay far below amqplib’s 64 KiB limit', () => {
    assert.equal(MAX_ERROR_MESSAGE_BYTES, 4096);
    const headers = deadLetterHeaders({}, facts(new Error('x'.repeat(1_000_000))));
    const message = headers['x-error-message'] as string;
    assert.ok(Buffer.byteLength(message) <= 4096);
    assert.ok(message.endsWith('...'));
    assert.ok(Buffer.byteLength(JSON.stringify(headers)) < 8 * 1024);
  });
});

describe('truncateUtf8', () => {
  it('leaves text of at most maxBytes as it is', () => {
    assert.equal(truncateUtf8('short', 4096), 'short');
    const exact = '€'.repeat(1365) + 'a'; // 4,096 bytes
    assert.equal(Buffer.byteLength(exact), 4096);
    assert.equal(truncateUtf8(exact, 4096), exact);
  });

  it('never splits a multi-byte character, whatever the alignment', () => {
    for (const char of ['é', '€', '数', '🚀']) {
      for (let pad = 0; pad < 4; pad += 1) {
        const text = 'a'.repeat(pad) + char.repeat(3_000);
        const cut = truncateUtf8(text, 4096);
        const bytes = Buffer.byteLength(cut);
        assert.ok(bytes <= 4096, `${char} pad ${pad}: ${bytes} bytes`);
        assert.ok(bytes >= 4096 - 3 - 3, `${char} pad ${pad}: cut too short (${bytes} bytes)`);
        assert.ok(cut.endsWith('...'));
        const kept = cut.slice(0, -3);
        assert.ok(text.startsWith(kept), `${char} pad ${pad}: the kept part is not a prefix of the original`);
        assert.equal(kept.includes('\uFFFD'), false);
        // Round-trips through UTF-8 unchanged: no half character at the end.
        assert.equal(Buffer.from(kept, 'utf8').toString('utf8'), kept);
        assert.equal([...kept].at(-1), char);
      }
    }
  });
});
