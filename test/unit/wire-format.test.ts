// Freezes the wire format of docs/wire-format.md: the encoder's exact bytes and publish options, the Python
// original's exact bodies (read from the doc itself, so the doc and the codec cannot drift apart), and every
// rule the decoder applies to what other producers send.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InvalidMessage, UnsupportedWireVersion } from '../../runtime/errors.js';
import {
  WIRE_VERSION,
  carriedHeaders,
  decodeJobMessage,
  encodeJobBody,
  jobPublishOptions,
  mergePositionalArgs,
  newJobId,
  parseWireTime,
} from '../../runtime/wire-format.js';
import type { Headers, JobEnvelope } from '../../runtime/wire-format.js';

const hex32 = /^[0-9a-f]{32}$/;

/** The fenced ```json block that follows the line `<!-- marker -->` in docs/wire-format.md, byte for byte. */
function docExample(marker: string): Buffer {
  const lines = readFileSync(new URL('../../docs/wire-format.md', import.meta.url), 'utf8').split('\n');
  const at = lines.indexOf(`<!-- ${marker} -->`);
  assert.notEqual(at, -1, `docs/wire-format.md has no <!-- ${marker} --> line`);
  assert.equal(lines[at + 1], '```json', `<!-- ${marker} --> must be followed directly by a \`\`\`json fence`);
  const end = lines.indexOf('```', at + 2);
  assert.notEqual(end, -1, `the example after <!-- ${marker} --> is not closed`);
  return Buffer.from(lines.slice(at + 2, end).join('\n'), 'utf8');
}

/** The envelope of the encoder example in docs/wire-format.md. */
const ourJob: JobEnvelope = {
  jobId: 'b3a9e0c4d5f61728394a5b6c7d8e9f01',
  functionName: 'processData',
  args: [],
  kwargs: { dataId: 123, action: 'process' },
  jobTry: 1,
  enqueueTime: new Date('2025-01-10T10:30:45.123Z'),
  queueName: 'default',
  deferUntil: null,
  expires: new Date('2025-01-10T11:30:45.123Z'),
};

const ourBody =
  '{"job_id":"b3a9e0c4d5f61728394a5b6c7d8e9f01","function":"processData","args":[],' +
  '"kwargs":{"dataId":123,"action":"process"},"job_try":1,"enqueue_time":"2025-01-10T10:30:45.123Z",' +
  '"queue_name":"default","defer_until":null,"expires":"2025-01-10T11:30:45.123Z"}';

/** A minimal valid body in our format, with `overrides` applied (a value of `undefined` removes the field). */
function body(overrides: Record<string, unknown> = {}): Buffer {
  const fields: Record<string, unknown> = {
    job_id: '0123456789abcdef0123456789abcdef',
    function: 'processData',
    args: [],
    kwargs: { dataId: 1 },
    job_try: 1,
    enqueue_time: '2025-01-10T10:30:45.123Z',
    queue_name: 'default',
    defer_until: null,
    expires: null,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete fields[name];
    else fields[name] = value;
  }
  return Buffer.from(JSON.stringify(fields), 'utf8');
}

function decodeOk(content: Buffer, headers?: Headers, now?: Date) {
  const result = decodeJobMessage(content, headers, now);
  if (!result.ok) assert.fail(`expected the message to decode, got ${result.error.name}: ${result.error.message}`);
  return result;
}

function decodeFail(content: Buffer, headers?: Headers) {
  const result = decodeJobMessage(content, headers);
  if (result.ok) assert.fail(`expected the message to be refused, got ${JSON.stringify(result.job)}`);
  return result;
}

function assertInvalid(content: Buffer, pattern: RegExp, headers?: Headers) {
  const { error, partial } = decodeFail(content, headers);
  assert.ok(error instanceof InvalidMessage, `expected InvalidMessage, got ${error.name}`);
  assert.equal(error.code, 'INVALID_MESSAGE');
  assert.match(error.message, pattern);
  return partial;
}

/** JSON as Python's `json.dumps` writes it by default: `", "` between items, `": "` after keys (ASCII input only). */
function pythonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonDumps).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${pythonDumps(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

describe('encodeJobBody', () => {
  it('writes the exact bytes of the documented example', () => {
    const encoded = encodeJobBody(ourJob);
    assert.equal(encoded.toString('utf8'), ourBody);
    assert.deepEqual(encoded, docExample('encoder-example'));
  });

  it('writes the fields in the Python original order, times as ISO UTC with milliseconds', () => {
    const deferred = { ...ourJob, jobTry: 3, deferUntil: new Date(Date.UTC(2025, 0, 10, 10, 31, 0, 5)), expires: null };
    const fields = JSON.parse(encodeJobBody(deferred).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(fields), [
      'job_id',
      'function',
      'args',
      'kwargs',
      'job_try',
      'enqueue_time',
      'queue_name',
      'defer_until',
      'expires',
    ]);
    assert.equal(fields.job_try, 3);
    assert.equal(fields.defer_until, '2025-01-10T10:31:00.005Z');
    assert.equal(fields.expires, null);
  });

  it('writes non-ASCII text as raw UTF-8 and decodes it back unchanged', () => {
    const job = { ...ourJob, kwargs: { note: 'überprüfen 数据 🚀' } };
    const encoded = encodeJobBody(job);
    assert.ok(encoded.includes(Buffer.from('数据', 'utf8')));
    assert.deepEqual(decodeOk(encoded).job.kwargs, { note: 'überprüfen 数据 🚀' });
  });

  it('round-trips through decodeJobMessage', () => {
    const result = decodeOk(encodeJobBody(ourJob), jobPublishOptions(ourJob).headers);
    assert.deepEqual(result.job, ourJob);
    assert.equal(result.assignedJobId, false);
  });
});

describe('jobPublishOptions', () => {
  it('sets exactly the documented properties and headers', () => {
    assert.deepEqual(jobPublishOptions(ourJob), {
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: 'b3a9e0c4d5f61728394a5b6c7d8e9f01',
      timestamp: 1736505045,
      type: 'processData',
      headers: { 'x-retry-count': 0, 'x-arq-version': 1 },
    });
    assert.equal(WIRE_VERSION, 1);
  });

  it('writes x-retry-count = job_try - 1 and the timestamp in whole seconds, rounded down', () => {
    const options = jobPublishOptions({ ...ourJob, jobTry: 4, enqueueTime: new Date('2025-01-10T10:30:45.999Z') });
    assert.equal(options.headers?.['x-retry-count'], 3);
    assert.equal(options.timestamp, 1736505045);
  });

  it('merges extra headers, but never lets them override x-retry-count or x-arq-version', () => {
    const options = jobPublishOptions(
      { ...ourJob, jobTry: 2 },
      {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'x-retry-count': 9,
        'x-arq-version': 7,
      },
    );
    assert.deepEqual(options.headers, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-retry-count': 1,
      'x-arq-version': 1,
    });
  });
});

describe('newJobId', () => {
  it('is 32 lowercase hex characters, fresh on every call', () => {
    const ids = Array.from({ length: 200 }, () => newJobId());
    for (const id of ids) assert.match(id, hex32);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('a message from the Python original (docs/wire-format.md)', () => {
  const pythonFields = [
    'job_id',
    'function',
    'args',
    'kwargs',
    'job_try',
    'enqueue_time',
    'start_time',
    'end_time',
    'queue_name',
    'status',
    'result',
    'error',
    'defer_until',
    'expires',
  ];
  // The only header the Python client sets; it sends no content type and a message_id that is not the job id.
  const pythonHeaders: Headers = { 'x-retry-count': 0 };

  it('the documented body is shaped as Python json.dumps writes it', () => {
    const text = docExample('python-original-example').toString('utf8');
    assert.ok(text.startsWith('{"job_id": "6f1d0c2b9a8e4f7d8c3b2a1e0f9d8c7b", "function": "process_data", '), text);
    assert.ok(!text.includes('\n'));
    assert.deepEqual(Object.keys(JSON.parse(text) as object), pythonFields);
    assert.equal(text, pythonDumps(JSON.parse(text)), 'not written with json.dumps default separators');
  });

  it('decodes the exact documented bytes to the expected envelope', () => {
    const result = decodeOk(docExample('python-original-example'), pythonHeaders);
    assert.equal(result.assignedJobId, false);
    assert.deepEqual(result.job, {
      jobId: '6f1d0c2b9a8e4f7d8c3b2a1e0f9d8c7b',
      functionName: 'process_data',
      args: [],
      kwargs: { data_id: 123, action: 'process' },
      jobTry: 1,
      enqueueTime: new Date('2025-01-10T10:30:45.123Z'),
      queueName: 'my_queue',
      deferUntil: null,
      expires: null,
    });
  });

  it('decodes the exact documented positional body, and maps its args to the schema keys', () => {
    const content = docExample('python-original-positional-example');
    assert.deepEqual(Object.keys(JSON.parse(content.toString('utf8')) as object), pythonFields);
    const result = decodeOk(content, pythonHeaders);
    assert.deepEqual(result.job, {
      jobId: '2c9e5b7a1d3f4e6a9b0c8d7e6f5a4b3c',
      functionName: 'process_data',
      args: [123, 'process'],
      kwargs: {},
      jobTry: 1,
      enqueueTime: new Date('2025-01-10T10:30:45.123Z'),
      queueName: 'my_queue',
      deferUntil: null,
      expires: null,
    });
    assert.deepEqual(mergePositionalArgs(result.job.args, result.job.kwargs, ['data_id', 'action']), {
      ok: true,
      value: { data_id: 123, action: 'process' },
    });
  });

  it('is re-encoded in our format, without the Python-only fields, when republished', () => {
    const { job } = decodeOk(docExample('python-original-example'), pythonHeaders);
    const fields = JSON.parse(encodeJobBody({ ...job, jobTry: 2 }).toString('utf8')) as Record<string, unknown>;
    for (const name of ['start_time', 'end_time', 'status', 'result', 'error']) assert.ok(!(name in fields), name);
    assert.equal(fields.job_id, '6f1d0c2b9a8e4f7d8c3b2a1e0f9d8c7b');
    assert.equal(fields.job_try, 2);
    assert.equal(fields.enqueue_time, '2025-01-10T10:30:45.123Z');
    assert.equal(jobPublishOptions({ ...job, jobTry: 2 }).messageId, '6f1d0c2b9a8e4f7d8c3b2a1e0f9d8c7b');
  });
});

describe('mergePositionalArgs', () => {
  const keys = ['dataId', 'action', 'notBefore'];

  it('maps positional values to the keys in declaration order', () => {
    assert.deepEqual(mergePositionalArgs([7, 'retry', '2025-01-10T00:00:00Z'], {}, keys), {
      ok: true,
      value: { dataId: 7, action: 'retry', notBefore: '2025-01-10T00:00:00Z' },
    });
  });

  it('accepts fewer values than keys and merges the rest from kwargs', () => {
    assert.deepEqual(mergePositionalArgs([7], { action: 'cleanup' }, keys), {
      ok: true,
      value: { dataId: 7, action: 'cleanup' },
    });
  });

  it('passes kwargs through unchanged when there are no positional values, with or without a schema', () => {
    const kwargs = { dataId: 7, action: 'process' };
    assert.deepEqual(mergePositionalArgs([], kwargs, keys), { ok: true, value: kwargs });
    assert.deepEqual(mergePositionalArgs([], kwargs, undefined), { ok: true, value: kwargs });
  });

  it('refuses more values than keys', () => {
    const result = mergePositionalArgs([1, 'process', null, 'extra'], {}, keys);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /4 positional arguments.*at most 3/);
  });

  it('refuses a key given both by position and by name, even with the same value', () => {
    const result = mergePositionalArgs([7, 'process'], { action: 'process' }, keys);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /"action" given both by position and by name/);
  });

  it('refuses positional values for a job without a schema', () => {
    const result = mergePositionalArgs([7], {}, undefined);
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /no schema/);
  });

  it('does not modify the kwargs it was given', () => {
    const kwargs = { action: 'process' };
    mergePositionalArgs([7], kwargs, keys);
    assert.deepEqual(kwargs, { action: 'process' });
  });
});

describe('decodeJobMessage: job_id', () => {
  for (const [label, value] of [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
  ] as const) {
    it(`assigns a fresh id when job_id is ${label}`, () => {
      const first = decodeOk(body({ job_id: value }));
      const second = decodeOk(body({ job_id: value }));
      assert.equal(first.assignedJobId, true);
      assert.match(first.job.jobId, hex32);
      assert.notEqual(first.job.jobId, second.job.jobId);
    });
  }

  it('keeps a custom string id as it is', () => {
    const result = decodeOk(body({ job_id: 'order-42' }));
    assert.equal(result.job.jobId, 'order-42');
    assert.equal(result.assignedJobId, false);
  });

  it('refuses a job_id that is not a string', () => {
    assertInvalid(body({ job_id: 42 }), /job_id must be a string/);
  });
});

describe('decodeJobMessage: job_try', () => {
  it('accepts numeric strings', () => {
    assert.equal(decodeOk(body({ job_try: '3' })).job.jobTry, 3);
    assert.equal(decodeOk(body({ job_try: ' 2 ' })).job.jobTry, 2);
  });

  it('prefers the body over x-retry-count', () => {
    assert.equal(decodeOk(body({ job_try: 2 }), { 'x-retry-count': 5 }).job.jobTry, 2);
  });

  it('falls back to x-retry-count + 1 when job_try is missing or null', () => {
    assert.equal(decodeOk(body({ job_try: undefined }), { 'x-retry-count': 2 }).job.jobTry, 3);
    assert.equal(decodeOk(body({ job_try: null }), { 'x-retry-count': '4' }).job.jobTry, 5);
    assert.equal(decodeOk(body({ job_try: undefined }), { 'x-retry-count': 0 }).job.jobTry, 1);
  });

  it('falls back to 1 when neither job_try nor a readable x-retry-count is there', () => {
    assert.equal(decodeOk(body({ job_try: undefined })).job.jobTry, 1);
    assert.equal(decodeOk(body({ job_try: undefined }), { 'x-retry-count': 'soon' }).job.jobTry, 1);
    assert.equal(decodeOk(body({ job_try: undefined }), { 'x-retry-count': -3 }).job.jobTry, 1);
  });

  for (const value of [0, -1, 1.5, '2.5', 'two', '', true, [1]]) {
    it(`refuses job_try ${JSON.stringify(value)}`, () => {
      const partial = assertInvalid(body({ job_try: value }), /job_try must be a positive integer/);
      assert.equal(partial.jobId, '0123456789abcdef0123456789abcdef');
      assert.equal(partial.functionName, 'processData');
    });
  }
});

describe('decodeJobMessage: fields', () => {
  it('ignores unknown fields and the Python-only fields', () => {
    const plain = decodeOk(body());
    const extended = decodeOk(
      body({
        start_time: '2025-01-10T10:30:46+00:00',
        end_time: null,
        status: 'queued',
        result: { anything: true },
        error: 'boom',
        priority: 9,
        future_field: [1, 2, 3],
      }),
    );
    assert.deepEqual(extended.job, plain.job);
  });

  for (const [label, value] of [
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
    ['null', null],
  ] as const) {
    it(`refuses a function that is ${label}, keeping the job id for the dead-letter headers`, () => {
      const partial = assertInvalid(body({ function: value }), /function must be a non-empty string/);
      assert.equal(partial.jobId, '0123456789abcdef0123456789abcdef');
    });
  }

  for (const [label, value] of [
    ['an array', [1, 2]],
    ['a string', 'dataId=1'],
    ['a number', 1],
  ] as const) {
    it(`refuses kwargs that is ${label}`, () => {
      const partial = assertInvalid(body({ kwargs: value }), /kwargs must be an object/);
      assert.equal(partial.functionName, 'processData');
    });
  }

  it('reads missing or null kwargs as {} and missing or null args as []', () => {
    for (const value of [undefined, null]) {
      const { job } = decodeOk(body({ kwargs: value, args: value }));
      assert.deepEqual(job.kwargs, {});
      assert.deepEqual(job.args, []);
    }
  });

  for (const [label, value] of [
    ['an object', { 0: 1 }],
    ['a string', '1,2'],
    ['a number', 3],
  ] as const) {
    it(`refuses args that is ${label}`, () => {
      assertInvalid(body({ args: value }), /args must be an array/);
    });
  }

  it('reads a missing or non-string queue_name as ""', () => {
    assert.equal(decodeOk(body({ queue_name: undefined })).job.queueName, '');
    assert.equal(decodeOk(body({ queue_name: 5 })).job.queueName, '');
  });
});

describe('decodeJobMessage: times', () => {
  it('reads Python microseconds, cut to milliseconds', () => {
    const { job } = decodeOk(body({ enqueue_time: '2025-01-10T10:30:45.123999+00:00' }));
    assert.equal(job.enqueueTime.toISOString(), '2025-01-10T10:30:45.123Z');
  });

  it('reads a time without an offset as UTC', () => {
    const { job } = decodeOk(body({ defer_until: '2025-01-10T10:30:45.123456', expires: '2025-01-10 12:00:00' }));
    assert.equal(job.deferUntil?.toISOString(), '2025-01-10T10:30:45.123Z');
    assert.equal(job.expires?.toISOString(), '2025-01-10T12:00:00.000Z');
  });

  it('applies offsets, with or without a colon', () => {
    const { job } = decodeOk(body({ defer_until: '2025-01-10T16:00:45+05:30', expires: '2025-01-10T02:30:00-0800' }));
    assert.equal(job.deferUntil?.toISOString(), '2025-01-10T10:30:45.000Z');
    assert.equal(job.expires?.toISOString(), '2025-01-10T10:30:00.000Z');
  });

  it('uses the decoding time when enqueue_time is missing or null', () => {
    const now = new Date('2025-03-01T00:00:00.000Z');
    assert.deepEqual(decodeOk(body({ enqueue_time: undefined }), undefined, now).job.enqueueTime, now);
    assert.deepEqual(decodeOk(body({ enqueue_time: null }), undefined, now).job.enqueueTime, now);
  });

  for (const [field, value] of [
    ['enqueue_time', 'yesterday'],
    ['enqueue_time', 1736505045],
    ['enqueue_time', '10/01/2025 10:30'],
    ['defer_until', '2025-02-30T00:00:00Z'],
    ['defer_until', '2025-13-01T00:00:00Z'],
    ['expires', '2025-01-10T25:00:00Z'],
    ['expires', '2025-01-10'],
    ['expires', { at: '2025-01-10T10:30:45Z' }],
  ] as const) {
    it(`refuses ${field} ${JSON.stringify(value)}`, () => {
      assertInvalid(body({ [field]: value }), new RegExp(`${field} must be an ISO-8601 time`));
    });
  }

  it('parseWireTime accepts a leap day and refuses days past the end of the month', () => {
    assert.equal(parseWireTime('2024-02-29T00:00:00Z')?.toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal(parseWireTime('2025-02-29T00:00:00Z'), undefined);
    assert.equal(parseWireTime('2025-04-31T00:00:00Z'), undefined);
    assert.equal(parseWireTime('2025-01-00T00:00:00Z'), undefined);
  });
});

describe('decodeJobMessage: x-arq-version', () => {
  for (const [label, headers] of [
    ['missing (no headers)', undefined],
    ['missing (other headers)', { traceparent: 'x' }],
    ['1', { 'x-arq-version': 1 }],
    ['"1"', { 'x-arq-version': '1' }],
    ['"1.3"', { 'x-arq-version': '1.3' }],
    ['a Buffer "1"', { 'x-arq-version': Buffer.from('1') }],
  ] as const) {
    it(`accepts a version that is ${label}`, () => {
      assert.equal(decodeOk(body(), headers).job.functionName, 'processData');
    });
  }

  for (const value of [2, '2.0', '10']) {
    it(`refuses major version ${JSON.stringify(value)} with UnsupportedWireVersion`, () => {
      const { error } = decodeFail(body(), { 'x-arq-version': value });
      assert.ok(error instanceof UnsupportedWireVersion, `expected UnsupportedWireVersion, got ${error.name}`);
      assert.equal(error.code, 'UNSUPPORTED_WIRE_VERSION');
      assert.equal(error.version, String(value));
    });
  }

  it('checks the version before the body, so a newer body format is never misread', () => {
    const { error } = decodeFail(Buffer.from('<job v2/>'), { 'x-arq-version': 2 });
    assert.ok(error instanceof UnsupportedWireVersion);
  });

  for (const value of ['v1', 'latest', '', '-1', '1.x', true]) {
    it(`refuses the unreadable version ${JSON.stringify(value)} with InvalidMessage`, () => {
      assertInvalid(body(), /x-arq-version is not a version number/, { 'x-arq-version': value });
    });
  }
});

describe('decodeJobMessage: bodies that are not a JSON object', () => {
  it('refuses a body that is not JSON', () => {
    assertInvalid(Buffer.from('job_id=1&function=processData'), /body is not JSON/);
    assertInvalid(Buffer.alloc(0), /body is not JSON/);
    assertInvalid(Buffer.from('{"function": "processData"'), /body is not JSON/);
  });

  it('refuses bytes that are not UTF-8', () => {
    assertInvalid(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]), /not valid UTF-8/);
  });

  it('refuses invalid UTF-8 inside an otherwise valid JSON body instead of decoding it as U+FFFD', () => {
    const content = Buffer.concat([Buffer.from('{"function": "process'), Buffer.from([0xff]), Buffer.from('"}')]);
    assertInvalid(content, /not valid UTF-8/);
  });

  for (const [text, kind] of [
    ['[{"function": "processData"}]', 'an array'],
    ['null', 'null'],
    ['42', 'number'],
    ['"processData"', 'string'],
    ['true', 'boolean'],
  ] as const) {
    it(`refuses a JSON ${kind} body and says what it was`, () => {
      assertInvalid(Buffer.from(text), new RegExp(`body is not a JSON object but ${kind}`));
    });
  }
});

describe('carriedHeaders', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const delivered: Headers = {
    traceparent,
    tracestate: 'congo=t61rcWkgMzE',
    baggage: 'userId=alice',
    'x-tenant': 'acme',
    'x-request-id': 42,
    'x-death': [{ count: 1, queue: 'default', reason: 'delivery_limit' }],
    'x-delivery-count': 3,
    'x-first-death-exchange': '',
    'x-first-death-queue': 'default',
    'x-first-death-reason': 'delivery_limit',
    'x-last-death-exchange': '',
    'x-last-death-queue': 'default',
    'x-last-death-reason': 'delivery_limit',
    'x-error-type': 'TypeError',
    'x-error-code': 'ECONNREFUSED',
    'x-error-message': 'connect ECONNREFUSED',
    'x-error-category': 'retriable',
    'x-failed-at': '2025-01-10T10:31:02.417Z',
    'x-job-id': '0123456789abcdef0123456789abcdef',
    'x-job-try': 4,
    'x-retry-count': 3,
    'x-arq-version': 1,
  };

  it('keeps trace and user headers with their values and drops the broker, retry and dead-letter headers', () => {
    assert.deepEqual(carriedHeaders(delivered), {
      traceparent,
      tracestate: 'congo=t61rcWkgMzE',
      baggage: 'userId=alice',
      'x-tenant': 'acme',
      'x-request-id': 42,
    });
  });

  it('returns a new object and leaves the delivery headers alone', () => {
    const before = structuredClone(delivered);
    const carried = carriedHeaders(delivered);
    carried.traceparent = 'changed';
    assert.deepEqual(delivered, before);
  });

  it('returns {} for a delivery without headers', () => {
    assert.deepEqual(carriedHeaders(undefined), {});
    assert.deepEqual(carriedHeaders({}), {});
  });

  it('gives a retry message the trace headers and fresh retry headers', () => {
    const retry = { ...ourJob, jobTry: 2 };
    assert.deepEqual(jobPublishOptions(retry, carriedHeaders(delivered)).headers, {
      traceparent,
      tracestate: 'congo=t61rcWkgMzE',
      baggage: 'userId=alice',
      'x-tenant': 'acme',
      'x-request-id': 42,
      'x-retry-count': 1,
      'x-arq-version': 1,
    });
  });
});
