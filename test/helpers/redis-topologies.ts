/**
 * Redis on more than one server, private to one test or chaos scenario: a Sentinel group (a master,
 * one replica, three sentinels) and a three-master Redis Cluster, each on free ports with its
 * files in a temp folder, stopped and deleted by `stop()`. The shared Redis on 6379 is never used.
 * Sentinels run from Debian's `redis-sentinel` package.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis.js';

const run = promisify(execFile);

/** `redis-cli -p <port> <args…>`, its output trimmed. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

class ServerProcesses {
  readonly dir = mkdtempSync(join(tmpdir(), 'arq-redis-'));
  private readonly children = new Map<number, ChildProcess>();

  spawn(port: number, command: string, args: string[]): void {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.children.set(port, child);
  }

  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    this.children.delete(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stopAll(): Promise<void> {
    for (const port of [...this.children.keys()]) await this.kill(port);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const serverArgs = (port: number, dir: string): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dir,
];

/** The data servers' users: `arq` for clients (in the URL), `watcher` for the sentinels; the replica syncs as `default`. */
export const CLIENT_USER = { name: 'arq', password: 'sentinel-test-secret' };
const WATCHER = { name: 'watcher', password: 'watcher-secret' };

/**
 * A master, a replica and three sentinels (quorum 2, master down after 1 s). The replica syncs as
 * the `default` user, clients log in as `arq` and sentinels as `watcher`, so `cutReplication()`
 * can switch `default` off on the master and drop the replica's link: from then on the master
 * acknowledges writes that never reach the replica, as when replication lags at the moment the
 * master dies, while clients and sentinels go on as before.
 */
export class PrivateSentinelGroup {
  readonly name = 'arqmaster';
  private constructor(
    private readonly servers: ServerProcesses,
    readonly sentinelPorts: number[],
    private readonly dataPorts: [number, number],
  ) {}

  static async start(): Promise<PrivateSentinelGroup> {
    const servers = new ServerProcesses();
    const master = await freePort();
    const replica = await freePort();
    const sentinels = [await freePort(), await freePort(), await freePort()];
    const group = new PrivateSentinelGroup(servers, sentinels, [master, replica]);
    const users = [CLIENT_USER, WATCHER].flatMap((user) => [
      '--user',
      user.name,
      'on',
      `>${user.password}`,
      '~*',
      '&*',
      '+@all',
    ]);
    try {
      servers.spawn(master, 'redis-server', [...serverArgs(master, servers.dir), ...users]);
      servers.spawn(replica, 'redis-server', [
        ...serverArgs(replica, servers.dir),
        ...users,
        '--replicaof',
        '127.0.0.1',
        String(master),
        '--dbfilename',
        `replica-${replica}.rdb`,
      ]);
      await waitUntil('replica in sync', async () =>
        (await redisCli(replica, 'INFO', 'replication')).includes('master_link_status:up'),
      );
      for (const port of sentinels) {
        const conf = join(servers.dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${servers.dir}`,
            `sentinel monitor ${group.name} 127.0.0.1 ${master} 2`,
            `sentinel auth-user ${group.name} ${WATCHER.name}`,
            `sentinel auth-pass ${group.name} ${WATCHER.password}`,
            `sentinel down-after-milliseconds ${group.name} 1000`,
            `sentinel failover-timeout ${group.name} 5000`,
            '',
          ].join('\n'),
        );
        servers.spawn(port, 'redis-sentinel', [conf]);
      }
      // A failover needs each sentinel to know the replica and the two other sentinels (hello messages, every 2 s).
      for (const port of sentinels)
        await waitUntil('sentinels acquainted', async () => {
          const replicas = await redisCli(port, 'SENTINEL', 'REPLICAS', group.name);
          const peers = await redisCli(port, 'SENTINEL', 'SENTINELS', group.name);
          return (
            replicas.includes(String(replica)) && peers.split('\n').filter((line) => line === 'runid').length === 2
          );
        });
      return group;
    } catch (err) {
      await group.stop();
      throw err;
    }
  }

  /** The URL a client and worker are given (with the `arq` user's password). */
  get url(): string {
    const hosts = this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
    return `redis-sentinel://${CLIENT_USER.name}:${CLIENT_USER.password}@${hosts}/${this.name}`;
  }

  /** The port of the master the sentinels name now. */
  async masterPort(): Promise<number> {
    const reply = await redisCli(this.sentinelPorts[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
    return Number(reply.split('\n')[1]);
  }

  /** A command on the current master, logged in as the sentinels' user. */
  async onMaster(...args: string[]): Promise<string> {
    const login = ['--user', WATCHER.name, '--pass', WATCHER.password, '--no-auth-warning'];
    return redisCli(await this.masterPort(), ...login, ...args);
  }

  /** Stops replication: what the master acknowledges from now on stays on the master alone. */
  async cutReplication(): Promise<void> {
    // `default` off first, so the replica's reconnect (once a second) is refused from the start.
    await this.onMaster('ACL', 'SETUSER', 'default', 'off');
    await this.onMaster('CLIENT', 'KILL', 'TYPE', 'replica');
  }

  /** Drops the clients' subscriber connections on the master (not the sentinels'); returns how many. */
  async dropSubscribers(): Promise<number> {
    const ids = (await this.onMaster('CLIENT', 'LIST', 'TYPE', 'pubsub'))
      .split('\n')
      .filter((line) => line.includes(` user=${CLIENT_USER.name} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
      .filter((id) => id !== undefined);
    for (const id of ids) await this.onMaster('CLIENT', 'KILL', 'ID', id);
    return ids.length;
  }

  /** A failover with the master alive (`SENTINEL FAILOVER`); resolves once the sentinels name the replica. */
  async failover(): Promise<void> {
    const old = await this.masterPort();
    await redisCli(this.sentinelPorts[0]!, 'SENTINEL', 'FAILOVER', this.name);
    await waitUntil('manual failover', async () => (await this.masterPort()) !== old);
  }

  /** Waits until the server that is not the master replicates from it again (after a failover: up to 10 s). */
  async waitForReplica(): Promise<void> {
    await waitUntil(
      'replica in sync',
      async () => {
        const master = await this.masterPort();
        const replica = this.dataPorts.find((port) => port !== master)!;
        const info = await redisCli(replica, 'INFO', 'replication');
        return info.includes(`master_port:${master}`) && info.includes('master_link_status:up');
      },
      60_000,
    );
  }

  /** SIGKILLs the master and waits until the sentinels promoted the replica; returns how long that took (ms). */
  async killMasterAndWaitForFailover(): Promise<{ failoverMs: number; newMaster: number }> {
    const old = await this.masterPort();
    const killed = Date.now();
    await this.servers.kill(old);
    const newMaster = this.dataPorts.find((port) => port !== old)!;
    await waitUntil(
      'failover',
      async () =>
        (await this.masterPort()) === newMaster &&
        (await redisCli(newMaster, 'INFO', 'replication')).includes('role:master'),
      60_000,
    );
    return { failoverMs: Date.now() - killed, newMaster };
  }

  async stop(): Promise<void> {
    await this.servers.stopAll();
  }
}

/** Three masters (no replicas) with `cluster-enabled yes`, joined by `redis-cli --cluster create`. */
export class PrivateCluster {
  private constructor(
    private readonly servers: ServerProcesses,
    readonly ports: number[],
  ) {}

  static async start(): Promise<PrivateCluster> {
    const servers = new ServerProcesses();
    const ports = [await freePort(), await freePort(), await freePort()];
    const cluster = new PrivateCluster(servers, ports);
    try {
      for (const port of ports) servers.spawn(port, 'redis-server', cluster.nodeArgs(port));
      for (const port of ports)
        await waitUntil('cluster node up', async () => (await redisCli(port, 'PING')) === 'PONG');
      await run('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      for (const port of ports)
        await waitUntil('cluster state ok', async () =>
          (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        );
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  private nodeArgs(port: number): string[] {
    return [
      ...serverArgs(port, this.servers.dir),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(this.servers.dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '2000',
    ];
  }

  get url(): string {
    return `redis-cluster://${this.ports
      .slice(0, 2)
      .map((port) => `127.0.0.1:${port}`)
      .join(',')}`;
  }

  /** SIGKILLs one master: the cluster refuses every write once it sees the node fail (`cluster-node-timeout` 2 s). */
  async killNode(port: number): Promise<void> {
    await this.servers.kill(port);
    await waitUntil('cluster state fail', async () =>
      (
        await redisCli(
          this.ports.find((other) => other !== port)!,
          'CLUSTER',
          'INFO',
        )
      ).includes('cluster_state:fail'),
    );
  }

  /** Starts a killed master again on its own nodes file: it takes its slots back and the cluster is whole. */
  async restartNode(port: number): Promise<void> {
    this.servers.spawn(port, 'redis-server', this.nodeArgs(port));
    for (const node of this.ports)
      await waitUntil('cluster state ok', async () =>
        (await redisCli(node, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      );
  }

  /** How many keys matching `pattern` each master holds, in the order of `ports`. */
  async keysPerNode(pattern: string): Promise<number[]> {
    const counts: number[] = [];
    for (const port of this.ports) {
      const keys = await redisCli(port, '--scan', '--pattern', pattern);
      counts.push(keys === '' ? 0 : keys.split('\n').length);
    }
    return counts;
  }

  async stop(): Promise<void> {
    await this.servers.stopAll();
  }
}
