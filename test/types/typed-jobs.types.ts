// Type tests of the runtime's typed API without code generation. Never run: type-checked by
// `npm run typecheck`. Every `@ts-expect-error` line must fail to compile.
import { expectTypeOf } from 'expect-type';
import { z } from 'zod';
import { bindJobs, defineJobs, isoDate, registerJobs } from '../../runtime/index.js';
import type { Job, RabbitMQClient } from '../../runtime/index.js';

const jobs = defineJobs({
  queue: 'default',
  jobs: {
    sendEmail: {
      args: z.object({ to: z.email(), sendAt: isoDate.optional(), retries: z.number().default(1) }),
      result: z.object({ sent: z.boolean() }),
    },
    ping: { args: z.object({}) },
  },
});

export async function enqueueChecks(client: RabbitMQClient): Promise<void> {
  const enqueue = bindJobs(client, jobs);
  const job = await enqueue.sendEmail({ to: 'a@example.com', sendAt: '2026-01-01T00:00:00Z' });
  expectTypeOf(job).toEqualTypeOf<Job<{ sent: boolean }>>();
  expectTypeOf(await enqueue.ping({})).toEqualTypeOf<Job<unknown>>();
  // @ts-expect-error a required argument is missing
  await enqueue.sendEmail({});
  // @ts-expect-error no such job
  await enqueue.sendSms({ to: 'x' });
}

export function handlerChecks(): void {
  registerJobs(jobs, {
    sendEmail: (ctx, args) => {
      expectTypeOf(args.sendAt).toEqualTypeOf<Date | undefined>();
      expectTypeOf(args.retries).toEqualTypeOf<number>();
      expectTypeOf(ctx.jobTry).toEqualTypeOf<number>();
      return { sent: true };
    },
    ping: () => undefined,
  });
  registerJobs(jobs, {
    // @ts-expect-error the result does not fit the result schema
    sendEmail: () => ({ sent: 'yes' }),
    ping: () => undefined,
  });
  // @ts-expect-error a job without a handler does not compile
  registerJobs(jobs, { ping: () => undefined });
  registerJobs<typeof jobs.jobs, { db: string }>(jobs, {
    sendEmail: (ctx) => {
      expectTypeOf(ctx.state.db).toEqualTypeOf<string>();
      return { sent: true };
    },
    ping: () => undefined,
  });
}
