// Scheduled jobs across real worker processes (docs/scheduling.md): a 1-second schedule, three workers, 20 s; the
// leader is SIGKILLed mid-run. Every tick must run exactly once (counted by tick time), with no gap.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { compileSchedule } from '../../runtime/schedules/schedule.js';
import { leaseQueueName } from '../../runtime/schedules/scheduler.js';
import { AMQP_URL, closeAdmin, deleteJobQueue, deleteQueues, uniqueName, waitFor } from '../helpers/broker.js';
import { everySecond } from './fixtures/schedule-spec.js';

after(closeAdmin);

const fixture = new URL('./fixtures/schedule-worker.ts', import.meta.url).pathname;

interface Process {
  child: ChildProcess;
  lines: string[];
}

function startProcess(env: Record<string, string>): Process {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  return { child, lines };
}

/** Resolves once the process has exited (by itself or by a signal). */
function exited(process: Process): Promise<unknown> {
  const { child } = process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('a schedule on three worker processes', () => {
  it('fires every tick once, none twice, and keeps firing after the leader is SIGKILLed', async () => {
    const queue = uniqueName('schedule');
    const dir = mkdtempSync(join(tmpdir(), 'arq-schedule-'));
    const log = join(dir, 'ticks');
    const env = { URL: AMQP_URL, QUEUE: queue, LOG: log };
    const schedule = compileSchedule('beat', 0, everySecond, z.object({ label: z.string() }));
    const lease = leaseQueueName('arq', [schedule], () => queue);
    const workers = [startProcess(env), startProcess(env), startProcess(env)];
    try {
      assert.ok(
        await waitFor(() => workers.every((w) => w.lines.includes('ready')), 30_000),
        'the workers did not start',
      );
      const started = Date.now();
      await waitFor(() => false, 8_000);
      const leader = workers.find((w) => w.lines.includes('leading'));
      assert.ok(leader, 'no worker took the lease');
      assert.equal(workers.filter((w) => w.lines.includes('leading')).length, 1, 'two workers led at once');
      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await waitFor(() => false, Math.max(0, started + 20_000 - Date.now()));
      for (const w of workers) if (w !== leader) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => exited(w)));

      const runs = (existsSync(log) ? readFileSync(log, 'utf8') : '')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [tick, at] = line.split(' ');
          return { tick: Date.parse(tick as string), at: Number(at) };
        });
      const ticks = runs.map((run) => run.tick).sort((a, b) => a - b);
      const distinct = [...new Set(ticks)];
      const first = distinct[0] as number;
      const last = distinct[distinct.length - 1] as number;
      const missing: string[] = [];
      for (let tick = first; tick <= last; tick += 1_000)
        if (!distinct.includes(tick)) missing.push(new Date(tick).toISOString());
      const lateness = runs.map((run) => run.at - run.tick).sort((a, b) => a - b);
      const afterKill = runs.filter((run) => run.at > killedAt).sort((a, b) => a.at - b.at)[0];
      console.log(
        `schedules: ${distinct.length} ticks in ${((last - first) / 1000).toFixed(0)} s, ${ticks.length - distinct.length} twice, ` +
          `${missing.length} missing; lateness p50 ${percentile(lateness, 50)} ms, p99 ${percentile(lateness, 99)} ms; ` +
          `first run after the SIGKILL ${afterKill ? afterKill.at - killedAt : NaN} ms after it`,
      );
      assert.ok(distinct.length >= 15, `only ${distinct.length} ticks ran in 20 s`);
      assert.equal(ticks.length, distinct.length, 'a tick ran twice');
      assert.deepEqual(missing, [], 'ticks missing');
      assert.ok(afterKill && afterKill.at - killedAt < 5_000, 'ticks did not continue within 5 s of the SIGKILL');
      assert.ok((lateness[lateness.length - 1] as number) < 5_000, 'a tick ran more than 5 s late');
      assert.ok((lateness[0] as number) >= 0, 'a tick ran before its time');
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await deleteJobQueue(queue);
      await deleteQueues(lease);
    }
  });
});
