/** What each side of the comparison (our runtime, raw amqplib) measures; every method sets up and removes its own queue. */
import type { QueueType } from '../runtime/index.js';
import type { SideName } from './config.js';
import type { LatencyFigures, SpanFigures } from './measure.js';

export interface Side {
  readonly name: SideName;
  /** Jobs/s from the first publish to the last ack, producer and consumer running at once in this process. */
  endToEnd(type: QueueType, jobs: number): Promise<SpanFigures>;
  /** Confirmed jobs/s publishing batches of `batchSize`, one batch at a time. */
  enqueueBatches(type: QueueType, jobs: number): Promise<SpanFigures>;
  /** Confirmed jobs/s with `inFlight` single enqueues outstanding at all times. */
  enqueueConcurrent(type: QueueType, jobs: number): Promise<SpanFigures>;
  /** Confirmed jobs/s enqueueing one job at a time, each awaited. */
  enqueueSerial(type: QueueType, jobs: number): Promise<SpanFigures>;
  /** Jobs/s consuming a pre-filled queue, from the first delivery to the last ack. */
  drain(type: QueueType, jobs: number): Promise<SpanFigures>;
  /** Enqueue-to-handler-start latency at a paced rate (ms). */
  latency(type: QueueType): Promise<LatencyFigures>;
  /** From the handler's return to `job.result()` resolving in the producer, at a paced rate (ms); sides with a result store only. */
  resultLag?(type: QueueType): Promise<LatencyFigures>;
}
