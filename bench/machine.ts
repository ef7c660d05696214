/** What the figures were measured on: CPU, cores, Node, amqplib and RabbitMQ versions, load. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  amqplib: string;
  rabbitmq: string;
  erlang: string;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  load: number;
}

async function rabbitmqctlEval(expression: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('rabbitmqctl', ['-q', 'eval', expression], { timeout: 20_000 });
    const text = stdout.trim().replace(/^"|"$/g, '');
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/** The version the broker announces in its AMQP handshake: works without rabbitmqctl (a remote broker). */
async function announcedVersion(url: string): Promise<string | undefined> {
  try {
    const connection = await amqp.connect(url);
    const version = connection.connection.serverProperties.version;
    await connection.close();
    return version;
  } catch {
    return undefined;
  }
}

/** The installed version of a dependency, found the way Node resolves it (the bench may run from a build folder). */
function packageVersion(name: string): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    try {
      const text = readFileSync(new URL(`node_modules/${name}/package.json`, dir), 'utf8');
      return (JSON.parse(text) as { version: string }).version;
    } catch {
      // not in this folder's node_modules: look one level up
    }
  }
  return 'unknown';
}

export async function describeMachine(url: string): Promise<Machine> {
  const cpus = os.cpus();
  const [rabbitmq, erlang] = await Promise.all([
    rabbitmqctlEval('rabbit_misc:version().').then(async (v) => v ?? (await announcedVersion(url)) ?? 'unknown'),
    rabbitmqctlEval('erlang:system_info(otp_release).').then((v) => v ?? 'unknown'),
  ]);
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    amqplib: packageVersion('amqplib'),
    rabbitmq,
    erlang,
    load: os.loadavg()[0] ?? 0,
  };
}
