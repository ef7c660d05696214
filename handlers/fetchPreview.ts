// Handler of job `fetchPreview` of jobs.schema.ts. Scaffolded by arq-gen, then filled in.
import type { Handlers } from '../generated/worker.js';

/**
 * Build the link preview of a page; a page slower than the timeout is retried once, then given up.
 * The demo has no network: the "page" answers after `simulatedLatencyMs`. The wait honours
 * `ctx.signal`, as real I/O should (`fetch(url, { signal: ctx.signal })`), so a timeout ends it.
 */
const handler: Handlers['fetchPreview'] = async (ctx, args) => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, args.simulatedLatencyMs);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(ctx.signal.reason as Error);
    });
  });
  return { pageUrl: args.pageUrl, title: `Preview of ${args.pageUrl}` };
};

export default handler;
