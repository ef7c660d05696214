/**
 * The arguments that make a queue a quorum queue, with its replication settings. Queue arguments are
 * part of a queue's identity (a redeclare with other ones is refused with 406), so a setting left out
 * adds no argument at all: the queues are declared exactly as before the setting existed, and the
 * broker's own default applies (on 3.10 a member on every node of the cluster,
 * unless the broker's configuration sets a default size).
 */

/** Replication of the quorum queues the runtime declares (job queues, their DLQs, the delay ladder). */
export interface QuorumReplication {
  /** Members a new quorum queue starts with (`x-quorum-initial-group-size`); `undefined`: the broker decides. */
  initialGroupSize: number | undefined;
}

/** The broker's default: no replication argument sent. */
export const BROKER_REPLICATION: QuorumReplication = { initialGroupSize: undefined };

export function quorumArguments(replication: QuorumReplication): Record<string, unknown> {
  return replication.initialGroupSize === undefined
    ? { 'x-queue-type': 'quorum' }
    : { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': replication.initialGroupSize };
}
