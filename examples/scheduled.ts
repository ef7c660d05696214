/**
 * A scheduled job: `npx tsx examples/scheduled.ts` runs a worker whose `heartbeat` job fires every two
 * seconds, prints each tick for about seven seconds, then stops. Start it in two terminals at once:
 * only one of them fires (the lease holder), and when you stop that one the other takes over.
 * RabbitMQ at AMQP_URL (default localhost). RUN_FOR_MS changes how long it runs (0: until Ctrl-C).
 */
import { z } from 'zod';
import { Worker } from 'rabbitmq-arq';

const runFor = Number(process.env.RUN_FOR_MS ?? 7_000);

const worker = new Worker({
  queue: 'examples-scheduled',
  logLevel: 'warn',
  handlers: {
    heartbeat: {
      args: z.object({ service: z.string() }),
      schedules: [{ cron: '*/2 * * * * *', args: { service: 'billing' } }],
      handler: (ctx, args) => {
        const late = Date.now() - (ctx.tick?.getTime() ?? Date.now());
        console.log(
          `tick ${ctx.tick?.toISOString()} for ${args.service}: job ${ctx.jobId}, started ${late} ms after it`,
        );
      },
    },
  },
});

if (runFor > 0) setTimeout(() => void worker.close(), runFor).unref();
await worker.run();
