/**
 * 7. A password in the URL never appears in any output of the worker, the client or the CLI, at
 * debug level, across a bad vhost, refused credentials, a stopped broker and a connection cut.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { PrivateBroker } from '../private-broker.js';
import type { Scenario } from '../scenario.js';
import { closeConnections, freePort, run, sleep, uniqueName, waitFor } from '../harness.js';

const cli = new URL('../../cli/main.ts', import.meta.url).pathname;
const schema = new URL('../../jobs.schema.ts', import.meta.url).pathname;
const workerModule = new URL('../../test/integration/fixtures/cli-worker-module.ts', import.meta.url).pathname;

async function arqGen(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args], {
      timeout: 60_000,
    });
    return stdout + stderr;
  } catch (err) {
    // Not err.message: execFile puts the command line, URL and all, in it; only the program's own output counts.
    const failed = err as { stdout?: string; stderr?: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
}

export function passwords(broker: () => Promise<PrivateBroker>): Scenario {
  return {
    name: 'passwords never printed',
    async run() {
      const node = await broker();
      const password = `pw-${Math.random().toString(36).slice(2, 10)}-secret`;
      const user = uniqueName('user');
      const host = new URL(node.url).host;
      await run('rabbitmqctl', ['-q', '-n', node.node, 'add_user', user, password]);
      await run('rabbitmqctl', ['-q', '-n', node.node, 'set_permissions', user, '.*', '.*', '.*']);
      const good = `amqp://${user}:${password}@${host}`;
      const cases: Record<string, string> = {
        'bad vhost': `${good}/no-such-vhost`,
        'refused credentials': `amqp://${user}:${password}-wrong@${host}`,
        'stopped broker': `amqp://${user}:${password}@127.0.0.1:${await freePort()}`,
      };
      const outputs: Array<[string, string]> = [];
      for (const [what, url] of Object.entries(cases)) {
        const common = ['-u', url, '--log-level', 'debug', '--connection-timeout', '3s'];
        outputs.push([`queue-info, ${what}`, await arqGen(['queue-info', '-q', 'x', ...common])]);
        outputs.push([
          `enqueue, ${what}`,
          await arqGen([
            'enqueue',
            'processData',
            '--args',
            '{"dataId":1,"action":"process","payload":"x"}',
            '-m',
            schema,
            ...common,
          ]),
        ]);
        outputs.push([`worker, ${what}`, await arqGen(['worker', '-m', `${workerModule}:workerSettings`, ...common])]);
      }
      // A connection cut: the worker runs with the good URL, its connection is closed from the broker, it reconnects.
      const queue = uniqueName('pw');
      const worker = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          cli,
          'worker',
          '-m',
          `${workerModule}:workerSettings`,
          '-u',
          good,
          '-q',
          queue,
          '--log-level',
          'debug',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ARQ_LOG_LEVEL: 'debug' } },
      );
      let output = '';
      worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(() => output.includes('worker.started') || output.includes('started'), 30_000, 100);
      const cut = await closeConnections('rabbitmq-arq worker', node.node);
      await sleep(3_000);
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
      outputs.push([`worker, connection cut (${cut} closed)`, output]);
      const leaks = outputs.filter(([, text]) => text.includes(password)).map(([what]) => what);
      const reconnected = /connected/.test(output.split('chaos test').at(-1) ?? '');
      return {
        ok: leaks.length === 0 && cut > 0,
        line: `${outputs.length} outputs at debug level (${Object.keys(cases).join(', ')}, connection cut; reconnected: ${reconnected}): ${leaks.length === 0 ? 'no password in any' : `PASSWORD IN ${leaks.join('; ')}`}`,
      };
    },
  };
}
