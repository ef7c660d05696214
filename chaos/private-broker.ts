/**
 * A RabbitMQ node of the suite's own, for faults that must not touch the shared broker on 5672: its
 * own node name, AMQP and distribution ports, mnesia and log folders in a temp dir, and an empty
 * enabled-plugins file (no management listener to fight over). On Debian's RabbitMQ 3.10 run as
 * root, `rabbitmq-server` drops to the rabbitmq user, so the folder must belong to that user; that
 * user's Erlang cookie (/var/lib/rabbitmq/.erlang.cookie) is shared by both nodes and by
 * rabbitmqctl, which needs nothing more than `-n <node>`.
 */
import { execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCertificates } from './certificates.js';
import type { Certificates } from './certificates.js';
import { freePort } from './harness.js';

const run = promisify(execFile);

export class PrivateBroker {
  readonly url: string;
  /** The TLS listener, at 127.0.0.1: its certificate names only `localhost`, so clients must set `servername`. */
  readonly tlsUrl: string;
  private constructor(
    readonly node: string,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    port: number,
    tlsPort: number,
    readonly certificates: Certificates,
  ) {
    this.url = `amqp://guest:guest@127.0.0.1:${port}`;
    this.tlsUrl = `amqps://guest:guest@127.0.0.1:${tlsPort}`;
  }

  static async start(): Promise<PrivateBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'arq-chaos-node-'));
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    const { uid, gid } = statSync('/var/lib/rabbitmq');
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'enabled_plugins'), uid, gid);
    const port = await freePort();
    const tlsPort = await freePort();
    const certificates = await makeCertificates(dir);
    // A TLS listener beside the plain one; peers must present a certificate our CA signed.
    writeFileSync(
      join(dir, 'rabbitmq.conf'),
      [
        `listeners.ssl.default = ${tlsPort}`,
        `ssl_options.cacertfile = ${certificates.ca}`,
        `ssl_options.certfile = ${certificates.serverCert}`,
        `ssl_options.keyfile = ${certificates.serverKey}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
        '',
      ].join('\n'),
    );
    for (const file of readdirSync(dir)) chownSync(join(dir, file), uid, gid);
    const node = `arqchaos${process.pid}@localhost`;
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
    };
    const broker = new PrivateBroker(node, dir, env, port, tlsPort, certificates);
    await broker.boot();
    return broker;
  }

  /** Stops the node and starts it again on the same folders: durable queues and persistent messages survive. */
  async restart(): Promise<{ downMs: number }> {
    const started = Date.now();
    await this.ctl('stop');
    await this.boot();
    return { downMs: Date.now() - started };
  }

  async stop(): Promise<void> {
    await this.ctl('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async boot(): Promise<void> {
    const child = spawn('rabbitmq-server', [], { env: this.env, stdio: 'ignore', detached: true });
    child.unref();
    await this.ctl('await_startup', '--timeout', '60');
  }

  private async ctl(...args: string[]): Promise<string> {
    // await_startup fails at once while the node has not registered yet: try again for a while.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return (await run('rabbitmqctl', ['-q', '-n', this.node, ...args], { env: this.env })).stdout;
      } catch (err) {
        if (args[0] !== 'await_startup' || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}
