import { z } from 'zod';
import { defineJobs, isoDate } from 'rabbitmq-arq';

/** A line of an order; `quantity` defaults to 1 so producers may leave it out. */
const orderLine = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().positive().default(1),
  unitPriceCents: z.number().int().nonnegative(),
});

export default defineJobs({
  queue: 'default',
  jobs: {
    processData: {
      description: 'Process one data item: checksum its payload and report what was done.',
      args: z.object({
        dataId: z.number().int(),
        action: z.enum(['process', 'retry', 'cleanup']),
        payload: z.string(),
        notBefore: isoDate.optional(),
      }),
      result: z.object({
        status: z.literal('success'),
        dataId: z.number().int(),
        action: z.enum(['process', 'retry', 'cleanup']),
        sha256: z.string().length(64),
        bytes: z.number().int().nonnegative(),
      }),
      maxRetries: 3,
      timeout: 300_000,
    },
    buildOrderReport: {
      description: 'Build the report of one order: totals per line, the grand total and who gets it.',
      args: z.object({
        orderId: z.string(),
        placedAt: isoDate,
        customer: z.object({
          name: z.string(),
          email: z.email().nullable(),
          vip: z.boolean().default(false),
        }),
        lines: z.array(orderLine).min(1),
        currency: z.enum(['EUR', 'USD', 'CNY']).default('EUR'),
        note: z.string().optional(),
      }),
      result: z.object({
        orderId: z.string(),
        placedAt: isoDate,
        lineCount: z.number().int(),
        itemCount: z.number().int(),
        totalCents: z.number().int(),
        discountCents: z.number().int(),
        currency: z.enum(['EUR', 'USD', 'CNY']),
        recipient: z.string().nullable(),
      }),
      queue: 'reports',
      timeout: 60_000,
    },
    cleanupExpired: {
      description: 'Delete the cached entries older than a cutoff; reports how many went.',
      args: z.object({
        cutoff: isoDate,
        keys: z.array(z.object({ key: z.string(), storedAt: isoDate })).default([]),
        dryRun: z.boolean().default(false),
      }),
      result: z.object({ expired: z.array(z.string()), kept: z.number().int() }),
      maxRetries: 0,
    },
    fetchPreview: {
      description: 'Build the link preview of a page; a page slower than the timeout is retried once, then given up.',
      args: z.object({
        pageUrl: z.string().min(1),
        // The demo has no network: this is how long the "page" takes to answer.
        simulatedLatencyMs: z.number().int().nonnegative().default(0),
      }),
      result: z.object({ pageUrl: z.string(), title: z.string() }),
      maxRetries: 1,
      timeout: 500,
    },
  },
});
