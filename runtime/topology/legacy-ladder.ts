/**
 * Draining an earlier delay ladder (docs/topology.md, "Upgrading from the v1 ladder"). Its level
 * queues cannot be redeclared with the new arguments (406), so the new ladder has new names and the
 * old one is left to empty itself: its queues keep their TTLs and dead-letter into its own delivery
 * exchange, and a worker binds each of its queues there too, so a job that was waiting in the old
 * ladder when the upgrade happened still reaches its queue on time. Nothing new enters the old
 * ladder once every producer runs this version; an operator deletes it when it is empty.
 */
import type { AmqpChannel } from '../transport/amqp-model.js';
import type { RuntimeLog } from '../messages.js';
import { oneLine } from '../errors.js';
import { DELAY_LEVELS, LEGACY_TOPOLOGY_VERSIONS, delayNames, deliveryPattern } from './delay-topology.js';

/** Opens a throwaway channel: a passive check of something absent closes the channel it ran on. */
export type ScratchChannel = () => Promise<AmqpChannel>;

export interface LegacyLadder {
  version: string;
  /** Messages still waiting in its level queues when the worker started. */
  waiting: number;
}

/** Whether `check` succeeds on a channel of its own (a 404 closes that channel, not the caller's). */
async function exists(scratch: ScratchChannel, check: (channel: AmqpChannel) => Promise<unknown>): Promise<boolean> {
  const channel = await scratch();
  try {
    await check(channel);
    return true;
  } catch {
    return false;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Messages waiting in the level queues of `version`'s ladder (levels that are gone count 0). */
export async function legacyLadderDepth(scratch: ScratchChannel, prefix: string, version: string): Promise<number> {
  const names = delayNames(prefix, version);
  let waiting = 0;
  for (let level = 0; level < DELAY_LEVELS; level += 1) {
    const channel = await scratch();
    try {
      waiting += (await channel.checkQueue(names.levelQueue(level))).messageCount;
    } catch {
      // that level does not exist
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
  return waiting;
}

/**
 * Binds `queues` to the delivery exchange of every earlier ladder that still exists under `prefix`,
 * and returns those ladders with what they still hold. Logs one line per ladder that holds jobs.
 */
export async function drainLegacyLadders(
  scratch: ScratchChannel,
  prefix: string,
  queues: readonly string[],
  log: RuntimeLog,
): Promise<LegacyLadder[]> {
  const found: LegacyLadder[] = [];
  for (const version of LEGACY_TOPOLOGY_VERSIONS) {
    const deliver = delayNames(prefix, version).deliver;
    if (!(await exists(scratch, (channel) => channel.checkExchange(deliver)))) continue;
    const channel = await scratch();
    try {
      for (const queue of queues) await channel.bindQueue(queue, deliver, deliveryPattern(queue));
    } catch (err) {
      log.warn('ladder.legacy_bind_failed', { version, reason: oneLine(err) });
      continue;
    } finally {
      await channel.close().catch(() => undefined);
    }
    const waiting = await legacyLadderDepth(scratch, prefix, version);
    found.push({ version, waiting });
    if (waiting > 0) log.info('ladder.legacy_draining', { version, waiting, exchange: deliver });
  }
  return found;
}
