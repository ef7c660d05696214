/** Headers of a message the worker dead-letters (docs/wire-format.md, "Dead-letter headers"). */
import { ArqError } from '../errors.js';
import type { DeadLetterCategory } from '../types.js';
import { publishedHeaders } from '../wire-format.js';
import type { Headers } from '../wire-format.js';

/** Far below amqplib's 64 KiB header table, so a huge error can never make the dead-letter publish fail. */
export const MAX_ERROR_MESSAGE_BYTES = 4096;

export interface DeadLetterFacts {
  error: unknown;
  category: DeadLetterCategory;
  jobId: string | undefined;
  jobTry: number | undefined;
  failedAt: Date;
}

/** The delivery's own headers (wire version, retry count, trace headers) plus the `x-error-*` facts. */
export function deadLetterHeaders(original: Headers | undefined, facts: DeadLetterFacts): Headers {
  const headers = publishedHeaders(original);
  const err = facts.error;
  headers['x-error-type'] = err instanceof Error ? err.name : typeof err;
  // Only our stable codes: operators filter the DLQ by them, and a foreign code (ECONNREFUSED) is not in docs/errors.md.
  if (err instanceof ArqError) headers['x-error-code'] = err.code;
  headers['x-error-message'] = truncateUtf8(err instanceof Error ? err.message : String(err), MAX_ERROR_MESSAGE_BYTES);
  headers['x-error-category'] = facts.category;
  headers['x-failed-at'] = facts.failedAt.toISOString();
  if (facts.jobId !== undefined) headers['x-job-id'] = facts.jobId;
  if (facts.jobTry !== undefined) headers['x-job-try'] = facts.jobTry;
  return headers;
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes - 3;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8') + '...';
}
