// Handler of job `buildOrderReport` of jobs.schema.ts. Scaffolded by arq-gen, then filled in.
import type { Handlers } from '../generated/worker.js';

/** VIP customers get this share of the order total off, rounded down to whole cents. */
const vipDiscount = 0.1;

/** Build the report of one order: totals per line, the grand total and who gets it. */
const handler: Handlers['buildOrderReport'] = async (_ctx, args) => {
  let itemCount = 0;
  let subtotalCents = 0;
  for (const line of args.lines) {
    itemCount += line.quantity;
    subtotalCents += line.quantity * line.unitPriceCents;
  }
  const discountCents = args.customer.vip ? Math.floor(subtotalCents * vipDiscount) : 0;
  return {
    orderId: args.orderId,
    placedAt: args.placedAt,
    lineCount: args.lines.length,
    itemCount,
    totalCents: subtotalCents - discountCents,
    discountCents,
    currency: args.currency,
    recipient: args.customer.email === null ? null : `${args.customer.name} <${args.customer.email}>`,
  };
};

export default handler;
