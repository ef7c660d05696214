/**
 * The message format shared with the Python RabbitMQ-ARQ (docs/wire-format.md). Pure: no I/O, no clock
 * except where a caller passes one, so every rule here is unit-tested.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import { InvalidMessage, UnsupportedWireVersion } from './errors.js';

export const WIRE_VERSION = 1;
/** AMQP short strings (message_id, type) hold at most 255 bytes. */
export const MAX_JOB_ID_BYTES = 255;

/** A job as it travels: the body's fields, decoded. */
export interface JobEnvelope {
  jobId: string;
  functionName: string;
  /** Positional arguments (only Python producers send them). */
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** Attempt number, 1-based. */
  jobTry: number;
  enqueueTime: Date;
  queueName: string;
  deferUntil: Date | null;
  expires: Date | null;
}

/** AMQP headers as amqplib hands them over. */
export type Headers = Record<string, unknown>;

/** 32 lowercase hex characters, like the Python original's `uuid4().hex`. */
export function newJobId(): string {
  // A v4 UUID without dashes is exactly Python's uuid4().hex; randomUUID draws from a cached pool,
  // several times cheaper per id than randomBytes.
  return randomUUID().replaceAll('-', '');
}

export function encodeJobBody(job: JobEnvelope): Buffer {
  // Field order and names are the Python original's; compact separators (Python's `", "` decodes the same).
  return Buffer.from(
    JSON.stringify({
      job_id: job.jobId,
      function: job.functionName,
      args: job.args,
      kwargs: job.kwargs,
      job_try: job.jobTry,
      enqueue_time: job.enqueueTime.toISOString(),
      queue_name: job.queueName,
      defer_until: job.deferUntil ? job.deferUntil.toISOString() : null,
      expires: job.expires ? job.expires.toISOString() : null,
    }),
    'utf8',
  );
}

/**
 * Set on a delivery a graceful stop gave back to the end of its queue (runtime/worker/crash-guard.ts):
 * `unstarted` or `interrupted`. The next worker knows it came back without a crash.
 * It describes one trip back, so no retry, re-deferral or dead letter carries it on.
 */
export const REQUEUED_HEADER = 'x-arq-requeued';

/** The broker's bookkeeping (`x-death`, `x-delivery-count`, `x-first-death-*`, `x-last-death-*`), our dead-letter facts and a stop's mark. */
function isBookkeepingHeader(name: string): boolean {
  return (
    name === 'x-death' ||
    name === 'x-delivery-count' ||
    name.startsWith('x-first-death-') ||
    name.startsWith('x-last-death-') ||
    // A replayed message must not carry the facts of an earlier failure into its next one.
    name.startsWith('x-error-') ||
    name === 'x-failed-at' ||
    name === 'x-job-id' ||
    name === 'x-job-try' ||
    name === REQUEUED_HEADER
  );
}

/** A delivery's headers as they were published: wire version, retry count, trace and user headers. */
export function publishedHeaders(headers: Headers | undefined): Headers {
  const kept: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (!isBookkeepingHeader(name)) kept[name] = value;
  return kept;
}

/** Trace and user headers of a delivery that travel on with its retry (which writes its own retry count and version). */
export function carriedHeaders(headers: Headers | undefined): Headers {
  const { 'x-retry-count': _retryCount, 'x-arq-version': _version, ...carried } = publishedHeaders(headers);
  return carried;
}

const firstAttemptHeaders: Headers = Object.freeze({ 'x-retry-count': 0, 'x-arq-version': WIRE_VERSION });

/** Publish properties of a job message; `extraHeaders` (carried trace headers, dead-letter headers) are merged in. */
export function jobPublishOptions(job: JobEnvelope, extraHeaders?: Headers): Options.Publish {
  return {
    contentType: 'application/json',
    deliveryMode: 2,
    messageId: job.jobId,
    timestamp: Math.floor(job.enqueueTime.getTime() / 1000),
    type: job.functionName,
    // A first attempt without extra headers (every plain enqueue) shares one frozen headers object.
    headers:
      extraHeaders === undefined && job.jobTry === 1
        ? firstAttemptHeaders
        : { ...extraHeaders, 'x-retry-count': job.jobTry - 1, 'x-arq-version': WIRE_VERSION },
  };
}

export type DecodeResult =
  | { ok: true; job: JobEnvelope; /** The body had no `job_id`; a fresh one was assigned. */ assignedJobId: boolean }
  | {
      ok: false;
      error: InvalidMessage | UnsupportedWireVersion;
      /** What could be read, for the dead-letter headers. */ partial: Partial<JobEnvelope>;
    };

/**
 * Reads a delivered message. Never throws: a message we cannot read is reported, so the worker can
 * dead-letter it with the reason instead of crashing or dropping it.
 */
export function decodeJobMessage(content: Buffer, headers: Headers | undefined, now?: Date): DecodeResult {
  const partial: Partial<JobEnvelope> = {};
  const fail = (error: InvalidMessage | UnsupportedWireVersion): DecodeResult => ({ ok: false, error, partial });

  const version = readWireVersion(headers?.['x-arq-version']);
  if (version === undefined)
    return fail(
      new InvalidMessage(`header x-arq-version is not a version number: ${String(headers?.['x-arq-version'])}`),
    );
  if (version > WIRE_VERSION) return fail(new UnsupportedWireVersion(String(headers?.['x-arq-version'])));

  // Buffer#toString would replace invalid bytes with U+FFFD and the job would run on mangled text.
  if (!isUtf8(content)) return fail(new InvalidMessage('body is not valid UTF-8'));
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return fail(new InvalidMessage(`body is not JSON: ${(err as Error).message}`));
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail(
      new InvalidMessage(
        `body is not a JSON object but ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`,
      ),
    );
  }
  const fields = body as Record<string, unknown>;

  const rawJobId = fields.job_id;
  let assignedJobId = false;
  if (rawJobId === undefined || rawJobId === null || rawJobId === '') {
    partial.jobId = newJobId();
    assignedJobId = true;
  } else if (typeof rawJobId === 'string') {
    // It becomes the AMQP message_id of the job's retries and dead letter, a short string of at most 255 bytes.
    if (Buffer.byteLength(rawJobId) > MAX_JOB_ID_BYTES)
      return fail(new InvalidMessage(`job_id is longer than ${MAX_JOB_ID_BYTES} bytes`));
    partial.jobId = rawJobId;
  } else {
    return fail(new InvalidMessage(`job_id must be a string, got ${typeof rawJobId}`));
  }

  if (typeof fields.function !== 'string' || fields.function === '') {
    return fail(new InvalidMessage('function must be a non-empty string naming the job'));
  }
  if (Buffer.byteLength(fields.function) > MAX_JOB_ID_BYTES)
    return fail(new InvalidMessage(`function is longer than ${MAX_JOB_ID_BYTES} bytes`));
  partial.functionName = fields.function;
  if (typeof fields.queue_name === 'string') partial.queueName = fields.queue_name;

  const args = fields.args ?? [];
  if (!Array.isArray(args)) return fail(new InvalidMessage('args must be an array'));
  partial.args = args;
  const kwargs = fields.kwargs ?? {};
  if (typeof kwargs !== 'object' || Array.isArray(kwargs) || kwargs === null)
    return fail(new InvalidMessage('kwargs must be an object'));
  partial.kwargs = kwargs as Record<string, unknown>;

  const jobTry = readJobTry(fields.job_try, headers?.['x-retry-count']);
  if (jobTry === undefined)
    return fail(new InvalidMessage(`job_try must be a positive integer, got ${JSON.stringify(fields.job_try)}`));
  partial.jobTry = jobTry;

  const times: Record<'enqueue_time' | 'defer_until' | 'expires', Date | null> = {
    enqueue_time: null,
    defer_until: null,
    expires: null,
  };
  for (const name of ['enqueue_time', 'defer_until', 'expires'] as const) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    const date = typeof value === 'string' ? parseWireTime(value) : undefined;
    if (!date) return fail(new InvalidMessage(`${name} must be an ISO-8601 time, got ${JSON.stringify(value)}`));
    times[name] = date;
  }
  partial.enqueueTime = times.enqueue_time ?? now ?? new Date();
  partial.deferUntil = times.defer_until;
  partial.expires = times.expires;

  return {
    ok: true,
    assignedJobId,
    job: {
      jobId: partial.jobId,
      functionName: partial.functionName,
      args: partial.args,
      kwargs: partial.kwargs,
      jobTry,
      enqueueTime: partial.enqueueTime,
      queueName: partial.queueName ?? '',
      deferUntil: partial.deferUntil,
      expires: partial.expires,
    },
  };
}

/** A missing header is version 1; `"1"`, `1`, `"1.2"` read as major 1; anything else is unreadable (undefined). */
function readWireVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return 1;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  const match = /^\s*(\d+)(\.\d+)*\s*$/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function readJobTry(value: unknown, retryCountHeader: unknown): number | undefined {
  if (value === undefined || value === null) {
    const retries = Number(retryCountHeader);
    return Number.isInteger(retries) && retries >= 0 ? retries + 1 : 1;
  }
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : undefined;
}

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** ISO-8601 with any number of fractional digits (Python writes microseconds); no offset means UTC. */
const ownTimeFormat = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function parseWireTime(text: string): Date | undefined {
  // Fast path for what our own encoder writes (every job body has one or more).
  if (text.length === 24 && ownTimeFormat.test(text)) {
    const date = new Date(text);
    // Date rolls an impossible day over (February 30 becomes March 2), which changes the day of the month.
    return date.getUTCDate() === Number(text.slice(8, 10)) ? date : undefined;
  }
  const match = isoPattern.exec(text);
  if (!match) return undefined;
  // `Date` rolls a day past the month's end over (February 30 becomes March 2): refuse it instead.
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  let normalised = text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(normalised)) normalised += 'Z';
  const date = new Date(normalised);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Maps a Python producer's positional `args` onto the schema's keys in declaration order.
 * Returns the merged arguments, or a reason when there are too many or a key is given twice.
 */
export function mergePositionalArgs(
  args: readonly unknown[],
  kwargs: Record<string, unknown>,
  keys: readonly string[] | undefined,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (args.length === 0) return { ok: true, value: kwargs };
  if (!keys)
    return {
      ok: false,
      reason: `${args.length} positional argument(s) sent, but the job has no schema to map them to names`,
    };
  if (args.length > keys.length)
    return { ok: false, reason: `${args.length} positional arguments sent, the job takes at most ${keys.length}` };
  const merged: Record<string, unknown> = { ...kwargs };
  for (const [index, value] of args.entries()) {
    const key = keys[index] as string;
    if (Object.hasOwn(kwargs, key))
      return { ok: false, reason: `argument "${key}" given both by position and by name` };
    merged[key] = value;
  }
  return { ok: true, value: merged };
}

/**
 * The body of a dead-lettered job, made ready to run again: a fresh attempt count (`job_try` 1; a
 * body replayed as it is would be dead-lettered again at once), due now and not expiring. A body we
 * cannot read goes back unchanged, so a fixed worker can still judge it.
 */
export function replayBody(content: Buffer): Buffer {
  let fields: unknown;
  try {
    fields = isUtf8(content) ? JSON.parse(content.toString('utf8')) : undefined;
  } catch {
    return content;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return content;
  return Buffer.from(JSON.stringify({ ...fields, job_try: 1, defer_until: null, expires: null }), 'utf8');
}

/** A delivery's own properties, for the message that carries it on (a re-deferral, a dead letter, a replay). */
export function copiedPublishOptions(
  properties: {
    messageId?: unknown;
    type?: unknown;
    timestamp?: unknown;
    contentType?: unknown;
    contentEncoding?: unknown;
    correlationId?: unknown;
  },
  jobId: string | undefined,
): Options.Publish & { messageId: string } {
  const copy: Options.Publish & { messageId: string } = {
    deliveryMode: 2,
    messageId:
      typeof properties.messageId === 'string' && properties.messageId !== ''
        ? properties.messageId
        : (jobId ?? newJobId()),
  };
  if (typeof properties.contentType === 'string' && properties.contentType) copy.contentType = properties.contentType;
  if (typeof properties.contentEncoding === 'string' && properties.contentEncoding)
    copy.contentEncoding = properties.contentEncoding;
  if (typeof properties.timestamp === 'number') copy.timestamp = properties.timestamp;
  if (typeof properties.type === 'string' && properties.type) copy.type = properties.type;
  if (typeof properties.correlationId === 'string' && properties.correlationId)
    copy.correlationId = properties.correlationId;
  return copy;
}

/** Marks a replayed dead letter: a job whose record is final runs again once per replay token (docs/results.md). */
export const REPLAY_HEADER = 'x-arq-replay';

/**
 * Publish properties of a replayed job: its own id, name and trace headers, none of its failure's,
 * and the replay's token (one per replay run), which lets it run again over its final record.
 */
export function replayPublishOptions(
  properties: Parameters<typeof copiedPublishOptions>[0] & { headers?: Headers },
  fallbackJobId: string,
  replayToken: string,
): Options.Publish & { messageId: string } {
  return {
    contentType: 'application/json',
    ...copiedPublishOptions(properties, fallbackJobId),
    headers: { ...publishedHeaders(properties.headers), 'x-retry-count': 0, [REPLAY_HEADER]: replayToken },
  };
}

/** The replay token a delivery carries, if it is (a retry of) a replayed dead letter. */
export function replayTokenOf(headers: Headers | undefined): string | undefined {
  const token = headers?.[REPLAY_HEADER];
  return typeof token === 'string' && token !== '' ? token : undefined;
}
