/**
 * RabbitMQ nodes of the suite's own, for faults that must not touch the shared broker on 5672: each
 * has its own node name, AMQP and distribution ports, mnesia and log folders in a temp dir, and an
 * empty enabled-plugins file (no management listener to fight over). On Debian's RabbitMQ 3.10 run
 * as root, `rabbitmq-server` drops to the rabbitmq user, so the folder must belong to that user;
 * that user's Erlang cookie (/var/lib/rabbitmq/.erlang.cookie) is shared by every node and by
 * rabbitmqctl, which needs nothing more than `-n <node>`. A `PrivateNode` is one such node; a
 * `PrivateBroker` is one node with a TLS listener, and private-cluster.ts joins three.
 */
import { execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCertificates } from './certificates.js';
import type { Certificates } from './certificates.js';
import { freePort, waitFor } from './harness.js';

const run = promisify(execFile);

/** One private node: its folder, environment and rabbitmqctl. */
export class PrivateNode {
  readonly url: string;
  private constructor(
    readonly node: string,
    readonly port: number,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
  }

  /**
   * Makes the node's folder and environment without starting it. `config` returns the lines of its
   * rabbitmq.conf, given the folder (for files it writes there first).
   */
  static async prepare(
    name: string,
    options: {
      config?: (dir: string) => Promise<string[]> | string[];
      erlangArgs?: string;
    } = {},
  ): Promise<PrivateNode> {
    const dir = mkdtempSync(join(tmpdir(), 'arq-chaos-node-'));
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(dir, 'rabbitmq.conf'), [...((await options.config?.(dir)) ?? []), ''].join('\n'));
    const { uid, gid } = statSync('/var/lib/rabbitmq');
    chownSync(dir, uid, gid);
    for (const file of readdirSync(dir)) chownSync(join(dir, file), uid, gid);
    const port = await freePort();
    const node = `${name}@localhost`;
    const env = {
      ...process.env,
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(await freePort()),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: options.erlangArgs ?? '',
    };
    return new PrivateNode(node, port, dir, env);
  }

  /** Starts the node on its folders (durable queues and persistent messages of an earlier run survive). */
  async boot(): Promise<void> {
    const child = spawn('rabbitmq-server', [], { env: this.env, stdio: 'ignore', detached: true });
    child.unref();
    await this.ctl('await_startup', '--timeout', '60');
  }

  /** A clean stop: the node closes its client connections and leaves its peers. */
  async shutdown(): Promise<void> {
    await this.ctl('stop');
  }

  /** A crash: SIGKILL to the Erlang VM, so clients and peers see their sockets drop. */
  async kill(): Promise<void> {
    const pid = Number(readFileSync(join(this.dir, 'pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), 10_000, 20);
  }

  /** Stops the node if it runs, and deletes its folder. */
  async remove(): Promise<void> {
    await this.ctl('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async ctl(...args: string[]): Promise<string> {
    return this.tool('rabbitmqctl', ...args);
  }

  /** rabbitmqctl or another CLI of the node (rabbitmq-queues), reaching it with `-n`. */
  async tool(command: string, ...args: string[]): Promise<string> {
    // await_startup fails at once while the node has not registered yet: try again for a while.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return (await run(command, ['-q', '-n', this.node, ...args], { env: this.env })).stdout;
      } catch (err) {
        if (args[0] !== 'await_startup' || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class PrivateBroker {
  readonly node: string;
  readonly url: string;
  /** The TLS listener, at 127.0.0.1: its certificate names only `localhost`, so clients must set `servername`. */
  readonly tlsUrl: string;
  private constructor(
    private readonly server: PrivateNode,
    tlsPort: number,
    readonly certificates: Certificates,
  ) {
    this.node = server.node;
    this.url = server.url;
    this.tlsUrl = `amqps://guest:guest@127.0.0.1:${tlsPort}`;
  }

  static async start(): Promise<PrivateBroker> {
    const tlsPort = await freePort();
    let certificates!: Certificates;
    // A TLS listener beside the plain one; peers must present a certificate our CA signed.
    const server = await PrivateNode.prepare(`arqchaos${process.pid}`, {
      config: async (dir) => {
        certificates = await makeCertificates(dir);
        return [
          `listeners.ssl.default = ${tlsPort}`,
          `ssl_options.cacertfile = ${certificates.ca}`,
          `ssl_options.certfile = ${certificates.serverCert}`,
          `ssl_options.keyfile = ${certificates.serverKey}`,
          'ssl_options.verify = verify_peer',
          'ssl_options.fail_if_no_peer_cert = true',
        ];
      },
    });
    const broker = new PrivateBroker(server, tlsPort, certificates);
    await server.boot();
    return broker;
  }

  /** Stops the node and starts it again on the same folders: durable queues and persistent messages survive. */
  async restart(): Promise<{ downMs: number }> {
    const started = Date.now();
    await this.server.shutdown();
    await this.server.boot();
    return { downMs: Date.now() - started };
  }

  async stop(): Promise<void> {
    await this.server.remove();
  }
}
