import { ResultStoreRequired } from '../errors.js';

/** A handle on an enqueued job, returned once the broker has confirmed it. */
export class Job<R = unknown> {
  constructor(
    readonly jobId: string,
    readonly functionName: string,
    readonly queueName: string,
    readonly enqueueTime: Date,
    /** When the job becomes due; `null` when it was not deferred. */
    readonly deferUntil: Date | null,
  ) {}

  /**
   * The job's result, typed by its result schema. Results live in a result store; until one is
   * configured (a later release adds the Redis store) this rejects with ResultStoreRequired.
   */
  async result(_options: { timeout?: number } = {}): Promise<R> {
    throw new ResultStoreRequired();
  }
}
