// Handler of job `processData` of jobs.schema.ts. Scaffolded by arq-gen, then filled in.
import { createHash } from 'node:crypto';
import { Retry } from 'rabbitmq-arq';
import type { Handlers } from '../generated/worker.js';

/**
 * Process one data item: checksum its payload and report what was done.
 * `notBefore` is a business rule of the item, not a delivery delay: an item that arrives earlier is
 * handed back to the queue until its time (one attempt used). `action: 'retry'` stands for an item
 * whose upstream is busy on the first attempt, so the demo shows a retry with backoff.
 */
const handler: Handlers['processData'] = async (ctx, args) => {
  const wait = args.notBefore ? args.notBefore.getTime() - Date.now() : 0;
  if (wait > 0)
    throw new Retry({
      defer: wait,
      message: `data item ${args.dataId} is not due before ${args.notBefore?.toISOString()}`,
    });
  if (args.action === 'retry' && ctx.jobTry === 1) throw new Error(`upstream busy for data item ${args.dataId}`);
  const payload = Buffer.from(args.payload, 'utf8');
  const sha256 = createHash('sha256').update(payload).digest('hex');
  ctx.logger.debug('processed data item', { dataId: args.dataId, action: args.action, bytes: payload.length });
  return { status: 'success', dataId: args.dataId, action: args.action, sha256, bytes: payload.length };
};

export default handler;
