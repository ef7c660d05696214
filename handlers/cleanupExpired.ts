// Handler of job `cleanupExpired` of jobs.schema.ts. Scaffolded by arq-gen, then filled in.
import type { Handlers } from '../generated/worker.js';

/**
 * Delete the cached entries older than a cutoff; reports how many went.
 * The demo's cache is the list of keys the producer sends; `dryRun` only reports what would go.
 */
const handler: Handlers['cleanupExpired'] = async (ctx, args) => {
  const cutoff = args.cutoff.getTime();
  const expired = args.keys.filter((entry) => entry.storedAt.getTime() < cutoff).map((entry) => entry.key);
  ctx.logger.debug(args.dryRun ? 'would delete expired entries' : 'deleted expired entries', { count: expired.length });
  return { expired: expired.sort(), kept: args.keys.length - expired.length };
};

export default handler;
