// Handler of job `cleanupExpired` of jobs.schema.ts. Scaffolded by arq-gen, then filled in.
import { NonRetryable } from 'rabbitmq-arq';
import type { Handlers } from '../generated/worker.js';

/**
 * Delete the cached entries older than a cutoff; reports how many went.
 * The demo's cache is the list of keys the producer sends; `dryRun` only reports what would go.
 * An entry stored in the future means a clock is wrong: no retry can fix that, so the job is refused.
 */
const handler: Handlers['cleanupExpired'] = async (ctx, args) => {
  const future = args.keys.find((entry) => entry.storedAt.getTime() > Date.now() + 60_000);
  if (future)
    throw new NonRetryable(
      `entry ${future.key} is stored in the future (${future.storedAt.toISOString()}): check the clocks`,
    );
  const cutoff = args.cutoff.getTime();
  const expired = args.keys.filter((entry) => entry.storedAt.getTime() < cutoff).map((entry) => entry.key);
  ctx.logger.debug(args.dryRun ? 'would delete expired entries' : 'deleted expired entries', { count: expired.length });
  return { expired: expired.sort(), kept: args.keys.length - expired.length };
};

export default handler;
