/**
 * Three private RabbitMQ nodes clustered with `rabbitmqctl join_cluster`, for the cluster scenarios
 * (chaos/scenarios/cluster-*.ts); the shared broker on 5672 is never part of it. Nodes start one
 * after the other (two cores): the first boots, each next one boots, then `stop_app`,
 * `join_cluster <first>`, `start_app`. Each node runs with one scheduler and a small Raft WAL, so the
 * three stay small. `stop()` stops and deletes all three, whatever state they are in.
 */
import { PrivateNode } from './private-broker.js';
import { waitFor } from './harness.js';

const SIZE = 3;

/** One scheduler thread, and no busy-waiting: three nodes share two cores with the scenario's processes. */
const ERLANG_ARGS = '+S 1:1 +SDio 2 +A 4';

function nodeConfig(): string[] {
  return [
    // Quorum queues keep their Raft log in memory until the WAL rolls over (512 MiB by default).
    'raft.wal_max_size_bytes = 33554432',
    // The memory alarm would block publishers on a busy machine; these nodes hold little.
    'vm_memory_high_watermark.absolute = 1GiB',
    'disk_free_limit.absolute = 50MB',
  ];
}

export interface QueueMembership {
  leader: string;
  members: string[];
}

export class PrivateCluster {
  private readonly down = new Set<PrivateNode>();
  private constructor(readonly nodes: readonly PrivateNode[]) {}

  /** Starts and joins three nodes; on any failure stops and deletes what it started. */
  static async start(): Promise<PrivateCluster> {
    const nodes: PrivateNode[] = [];
    try {
      for (let i = 1; i <= SIZE; i += 1) {
        const node = await PrivateNode.prepare(`arqcluster${process.pid}n${i}`, {
          config: nodeConfig,
          erlangArgs: ERLANG_ARGS,
        });
        nodes.push(node);
        await node.boot();
        if (i === 1) continue;
        await node.ctl('stop_app');
        await node.ctl('join_cluster', nodes[0]!.node);
        await node.ctl('start_app');
      }
      const cluster = new PrivateCluster(nodes);
      const running = await cluster.runningNodes();
      if (running.length !== SIZE) throw new Error(`cluster_status shows ${running.length} running nodes, not ${SIZE}`);
      return cluster;
    } catch (err) {
      for (const node of nodes) await node.remove();
      throw err;
    }
  }

  /** Every node's URL, in node order: the `url` list clients and workers get. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** The node listening on `port`. */
  byPort(port: number): PrivateNode | undefined {
    return this.nodes.find((node) => node.port === port);
  }

  byName(name: string): PrivateNode | undefined {
    return this.nodes.find((node) => node.node === name);
  }

  /** A node that is up, to run rabbitmqctl against. */
  private anyUp(): PrivateNode {
    const up = this.nodes.find((node) => !this.down.has(node));
    if (!up) throw new Error('every node of the cluster is down');
    return up;
  }

  /** The running nodes as `cluster_status` reports them. */
  async runningNodes(): Promise<string[]> {
    const status = JSON.parse(await this.anyUp().ctl('cluster_status', '--formatter', 'json')) as {
      running_nodes: string[];
    };
    return status.running_nodes;
  }

  /** A crash of `node` (SIGKILL); its peers and its clients see it go at once. */
  async kill(node: PrivateNode): Promise<void> {
    this.down.add(node);
    await node.kill();
    await waitFor(async () => !(await this.runningNodes()).includes(node.node), 30_000, 100);
  }

  /** A clean stop of `node`, as an operator stops it for maintenance. */
  async shutdown(node: PrivateNode): Promise<void> {
    this.down.add(node);
    await node.shutdown();
  }

  /** Starts `node` again on its folders; it rejoins the cluster by itself. */
  async boot(node: PrivateNode): Promise<void> {
    await node.boot();
    this.down.delete(node);
  }

  /** The nodes that connections whose client-provided name contains `marker` are open on. */
  async nodesOf(marker: string): Promise<PrivateNode[]> {
    const rows = JSON.parse(
      await this.anyUp().ctl('list_connections', 'port', 'client_properties', '--formatter', 'json'),
    ) as Array<{ port: number; client_properties: unknown }>;
    const ports = new Set(
      rows.filter((row) => JSON.stringify(row.client_properties).includes(marker)).map((row) => row.port),
    );
    return this.nodes.filter((node) => ports.has(node.port));
  }

  /** The node of the connection whose channel is the active (single-active-consumer) consumer of `queue`. */
  async leaseHolder(queue: string): Promise<PrivateNode | undefined> {
    // The JSON formatter prints pids without their node; the table prints `<node.a.b.c>`, and these node names have no dot.
    const rows = (await this.anyUp().ctl('list_consumers', 'queue_name', 'channel_pid', 'active')).split('\n');
    const active = rows.map((row) => row.split('\t')).find(([name, , on]) => name === queue && on === 'true');
    const name = active && /^<([^.]+)\./.exec(active[1] ?? '')?.[1];
    return name ? this.byName(name) : undefined;
  }

  /** Boots every node that is down, the one that went down last first, so the next scenario finds three. */
  async heal(): Promise<void> {
    for (const node of [...this.down].reverse()) await this.boot(node);
  }

  /**
   * Messages in the queues whose names start with `prefix`, as `list_queues messages` counts them: for
   * a quorum queue that includes those expired and held for at-least-once dead-lettering, which a
   * passive declare (ready only) does not show.
   */
  async messages(prefix: string): Promise<number> {
    const rows = JSON.parse(await this.anyUp().ctl('list_queues', 'name', 'messages', '--formatter', 'json')) as Array<{
      name: string;
      messages: number | string;
    }>;
    return rows.filter((row) => row.name.startsWith(prefix)).reduce((sum, row) => sum + (Number(row.messages) || 0), 0);
  }

  /** Leader and members of a quorum queue, from `rabbitmqctl list_queues` on a running node. */
  async membership(queue: string): Promise<QueueMembership | undefined> {
    const rows = JSON.parse(
      await this.anyUp().ctl('list_queues', 'name', 'leader', 'members', '--formatter', 'json'),
    ) as Array<{ name: string; leader: string; members: string[] }>;
    const row = rows.find((candidate) => candidate.name === queue);
    return row && { leader: row.leader, members: row.members };
  }

  /**
   * Moves the leadership of a quorum queue to `target`: removes every other member, so `target` is
   * left the only one and leads, then adds them back (they catch up from its log). For an empty queue.
   */
  async moveLeader(queue: string, target: PrivateNode): Promise<void> {
    const others = this.nodes.filter((node) => node !== target);
    for (const node of others) await target.tool('rabbitmq-queues', 'delete_member', queue, node.node);
    for (const node of others) await target.tool('rabbitmq-queues', 'add_member', queue, node.node);
    const moved = await waitFor(
      async () => {
        const membership = await this.membership(queue);
        return membership?.leader === target.node && membership.members.length === SIZE;
      },
      30_000,
      200,
    );
    if (!moved) throw new Error(`${queue} did not end led by ${target.node} with ${SIZE} members`);
  }

  /** Stops and deletes every node, also those already down. */
  async stop(): Promise<void> {
    // The last nodes first: a stopped first node would make the others wait for it on their next boot.
    for (const node of [...this.nodes].reverse()) await node.remove();
  }
}
