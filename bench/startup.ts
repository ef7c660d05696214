// `npm run bench:startup`: how soon a worker started from the CLI on built JavaScript is consuming, as a
// user installs it: both packages packed, the runtime installed from its tarball into a fresh project,
// `node_modules/.bin/rabbitmq-arq worker -m ./worker.mjs:settings` spawned five times. The broker
// connection is measured on its own (raw amqplib in a fresh process) so the figure can be read as
// "process start to consuming, less the connection".
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672';
const RUNS = 5;
const repo = fileURLToPath(new URL('../', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'arq-startup-'));
const queue = `bench-startup-${process.pid}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Milliseconds from spawn to the worker's `connection.connected` and `worker.started` log lines. */
async function startOnce(): Promise<{ connected: number; consuming: number }> {
  const spawned = Date.now();
  const child = spawn(join(project, 'node_modules/.bin/rabbitmq-arq'), ['worker', '-m', './worker.mjs:settings'], {
    cwd: project,
    env: { ...process.env, AMQP_URL, LANG: 'C' },
  });
  const seen: Record<string, number> = {};
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (const line of buffered.split('\n')) {
      try {
        const { event, time } = JSON.parse(line) as { event?: string; time?: string };
        if (event && time && seen[event] === undefined) seen[event] = Date.parse(time) - spawned;
      } catch {
        // a partial line; the next chunk completes it
      }
    }
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return { connected: seen['connection.connected'] ?? Number.NaN, consuming: seen['worker.started'] ?? Number.NaN };
}

/** A raw amqplib connect in a process of its own, timed inside it (the cost the runtime cannot avoid). */
function rawConnectMs(): number {
  const script = `import amqp from 'amqplib'; const t = performance.now(); const c = await amqp.connect(${JSON.stringify(AMQP_URL)}); console.log(Math.round(performance.now() - t)); await c.close();`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' }));
}

try {
  const tarballs = execFileSync(process.execPath, ['scripts/pack-packages.mjs', join(project, 'tarballs')], {
    cwd: repo,
    encoding: 'utf8',
  });
  const runtime = tarballs.trim().split('\n').at(-2) ?? '';
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'startup', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', runtime, 'zod@^4.1.0'], {
    cwd: project,
    stdio: 'ignore',
  });
  writeFileSync(
    join(project, 'worker.mjs'),
    `export const settings = { handlers: { ping: () => 1 }, queue: '${queue}', burst: true, statsInterval: 0 };\n`,
  );
  const runs = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await startOnce());
  const connect = median(Array.from({ length: RUNS }, rawConnectMs));
  const consuming = median(runs.map((run) => run.consuming));
  console.log(
    `worker from the CLI on built JavaScript (median of ${RUNS}): connected ${median(runs.map((run) => run.connected))} ms, ` +
      `consuming ${consuming} ms after process start; a raw amqplib connect takes ${connect} ms, ` +
      `so ${consuming - connect} ms besides the connection (target 300)`,
  );
} finally {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}_dlq`);
  await connection.close();
  rmSync(project, { recursive: true, force: true });
}
