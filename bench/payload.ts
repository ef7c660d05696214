/**
 * Job bodies of the same size for both sides. Ours: the runtime's own envelope around
 * `{ n, t, pad }`. Raw: what a hand-written producer would send (an id, a name, the arguments and
 * an enqueue time) around the same arguments, padded to the same length.
 */
import { randomUUID } from 'node:crypto';
import { encodeJobBody } from '../runtime/wire-format.js';
import { now } from './measure.js';

/** Arguments of every bench job: a sequence number, the send time (performance.now(), ms) and padding. */
export interface BenchArgs {
  [key: string]: unknown;
  n: number;
  t: number;
  pad: string;
}

/** A send time as it travels: microseconds are enough, and a fixed precision keeps the size steady. */
export function sendTime(): number {
  return Math.round(now() * 1000) / 1000;
}

const sampleTime = 123_456.789;

export interface Payloads {
  /** Arguments for `enqueueJob('noop', …)`. */
  oursArgs(n: number, t?: number): BenchArgs;
  /** A complete raw message body. */
  rawBody(n: number, t?: number): Buffer;
  oursBytes: number;
  rawBytes: number;
}

/** Pads both bodies to `bodyBytes` (or our bare envelope's size, if larger) for jobs published to a queue named like `queueName`. */
export function payloads(bodyBytes: number, queueName: string): Payloads {
  const oursBodyLength = (pad: string): number =>
    encodeJobBody({
      jobId: '0'.repeat(32),
      functionName: 'noop',
      args: [],
      kwargs: { n: 1000, t: sampleTime, pad },
      jobTry: 1,
      enqueueTime: new Date(),
      queueName,
      deferUntil: null,
      expires: null,
    }).length;
  const rawText = (n: number, t: number, pad: string): string =>
    JSON.stringify({ id: randomUUID(), name: 'noop', args: { n, t, pad }, enqueued: new Date().toISOString() });

  // Our envelope alone may exceed the target; then both bodies take its size, so they always weigh the same.
  const target = Math.max(bodyBytes, oursBodyLength(''));
  const oursPad = 'x'.repeat(target - oursBodyLength(''));
  const rawPad = 'x'.repeat(Math.max(0, target - Buffer.byteLength(rawText(1000, sampleTime, ''))));
  return {
    oursArgs: (n, t = sampleTime) => ({ n, t, pad: oursPad }),
    rawBody: (n, t = sampleTime) => Buffer.from(rawText(n, t, rawPad)),
    oursBytes: oursBodyLength(oursPad),
    rawBytes: Buffer.byteLength(rawText(1000, sampleTime, rawPad)),
  };
}
