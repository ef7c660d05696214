// Scheduled jobs across real worker processes (docs/scheduling.md): a 1-second schedule, three workers, 20 s; the
// leader is SIGKILLed mid-run. Every tick must run exactly once (counted by tick time), with no gap. Then a rolling
// deploy: two workers of the old version, one of the new, side by side for 15 s, then the old ones stopped.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { compileSchedule, tickJobId } from '../../runtime/schedules/schedule.js';
import type { ScheduleSpec } from '../../runtime/schedules/schedule.js';
import { leaseQueueName } from '../../runtime/schedules/scheduler.js';
import {
  AMQP_URL,
  closeAdmin,
  deleteJobQueue,
  deleteQueues,
  queueDepth,
  uniqueName,
  waitFor,
} from '../helpers/broker.js';
import type { JobContext } from '../../runtime/types.js';
import { encodeJobBody, jobPublishOptions } from '../../runtime/wire-format.js';
import { declareJobQueue, events, firstAttempt, publishRaw, startWorker } from '../helpers/worker-harness.js';
import type { StartedWorker } from '../helpers/worker-harness.js';
import { deploySets, everySecond } from './fixtures/schedule-spec.js';

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

interface Run {
  tick: number;
  at: number;
  pid: number;
  /** `<job>:<schedule name>`, from the tick's job id. */
  schedule: string;
  label: string;
}

/** The runs the fixture appended to `log`, one per line. */
function readRuns(log: string): Run[] {
  return (existsSync(log) ? readFileSync(log, 'utf8') : '')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [tick, at, pid, jobId, label] = line.split(' ') as [string, string, string, string, string];
      return {
        tick: Date.parse(tick),
        at: Number(at),
        pid: Number(pid),
        schedule: jobId.replace(/^cron:/, '').replace(/:[^:]+:[^:]+:[^:]+$/, ''),
        label,
      };
    });
}

/** Ticks in [first, last] that are not in `ran`, `step` ms apart. */
function missingTicks(ran: readonly number[], step: number): string[] {
  const distinct = [...new Set(ran)].sort((a, b) => a - b);
  const missing: string[] = [];
  if (distinct.length === 0) return missing;
  for (let tick = distinct[0] as number; tick <= (distinct.at(-1) as number); tick += step)
    if (!distinct.includes(tick)) missing.push(new Date(tick).toISOString());
  return missing;
}

/** Ticks that ran more than once. */
function doubled(ran: readonly number[]): string[] {
  const seen = new Set<number>();
  const twice = new Set<string>();
  for (const tick of ran) {
    if (seen.has(tick)) twice.add(new Date(tick).toISOString());
    seen.add(tick);
  }
  return [...twice];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('a schedule on three worker processes', () => {
  it('fires every tick once, none twice, and keeps firing after the leader is SIGKILLed', async () => {
    const queue = uniqueName('schedule');
    const dir = mkdtempSync(join(tmpdir(), 'arq-schedule-'));
    const log = join(dir, 'ticks');
    const job = uniqueName('beat');
    const env = { URL: AMQP_URL, QUEUE: queue, LOG: log, JOB: job };
    const schedule = compileSchedule(job, 0, everySecond, z.object({ label: z.string() }));
    const lease = leaseQueueName('arq', schedule);
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

      const runs = readRuns(log);
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

describe('a rolling deploy of a worker with schedules', () => {
  it('fires unchanged schedules once per tick while two versions overlap for 15 s; a changed, removed or added one at most once', async () => {
    const queue = uniqueName('deploy');
    const job = uniqueName('beat');
    const dir = mkdtempSync(join(tmpdir(), 'arq-deploy-'));
    const log = join(dir, 'ticks');
    const env = { URL: AMQP_URL, QUEUE: queue, LOG: log, JOB: job };
    const args = z.object({ label: z.string() });
    const leases = [...deploySets.old, ...deploySets.new].map((spec: ScheduleSpec, index) =>
      leaseQueueName('arq', compileSchedule(job, index, spec, args)),
    );
    const old = [startProcess({ ...env, SET: 'old' }), startProcess({ ...env, SET: 'old' })];
    let fresh: Process | undefined;
    try {
      assert.ok(
        await waitFor(() => old.every((w) => w.lines.includes('ready')), 30_000),
        'the old workers did not start',
      );
      fresh = startProcess({ ...env, SET: 'new' });
      assert.ok(await waitFor(() => fresh?.lines.includes('ready') === true, 30_000), 'the new worker did not start');
      const overlapFrom = Date.now();
      await waitFor(() => false, 15_000);
      const overlapTo = Date.now();
      for (const w of old) w.child.kill('SIGTERM');
      await Promise.all(old.map((w) => exited(w)));
      const oldGone = Date.now();
      // The new worker alone, long enough to fire every schedule it has after the handover.
      await waitFor(() => false, 4_000);
      fresh.child.kill('SIGTERM');
      await exited(fresh);

      const runs = readRuns(log);
      const ticksOf = (name: string, label?: string): number[] =>
        runs
          .filter((run) => run.schedule === `${job}:${name}` && (!label || run.label === label))
          .map((run) => run.tick);
      const names: Record<number, string> = { [fresh.child.pid as number]: 'new' };
      old.forEach((w, index) => (names[w.child.pid as number] = `old${index + 1}`));
      // Who ran the given ticks and when, relative to the old workers' exit, for the failure message.
      const runsOf = (name: string, ticks: string[]): string =>
        runs
          .filter((run) => run.schedule === `${job}:${name}` && ticks.includes(new Date(run.tick).toISOString()))
          .map((run) => `${new Date(run.tick).toISOString()} by ${names[run.pid] ?? run.pid} at ${run.at - oldGone} ms`)
          .join(', ');
      const overlapping = (ticks: number[]): number => ticks.filter((t) => t >= overlapFrom && t <= overlapTo).length;
      const report = ['steady', 'other', 'changing', 'leaving', 'arriving']
        .map(
          (name) =>
            `${name} ${ticksOf(name).length} runs (${overlapping(ticksOf(name))} in the overlap), ${doubled(ticksOf(name)).length} twice`,
        )
        .join('; ');
      console.log(`rolling deploy: ${report}`);
      for (const w of [...old, fresh])
        assert.deepEqual(
          w.lines.filter((line) => /came back|alone|failed/.test(line)),
          [],
          'a tick given back by a stop was taken for a crash',
        );
      // A lease is taken once per worker: a leader that let go of it between two rounds could fire a round twice.
      for (const w of [...old, fresh])
        assert.ok(
          w.lines.filter((line) => line === 'leading').length <= 4,
          `a worker took a lease again: ${w.lines.join(' | ')}`,
        );
      // Unchanged: every tick exactly once, no gap, across the overlap and the handover to the new worker.
      for (const [name, step] of [
        ['steady', 1_000],
        ['other', 2_000],
      ] as const) {
        const ticks = ticksOf(name);
        assert.ok(overlapping(ticks) >= 15_000 / step - 2, `${name}: ${overlapping(ticks)} runs in the 15 s overlap`);
        assert.deepEqual(doubled(ticks), [], `${name}: ticks ran twice: ${runsOf(name, doubled(ticks))}`);
        assert.deepEqual(missingTicks(ticks, step), [], `${name}: ticks missing`);
        assert.ok((ticks.at(-1) as number) > oldGone, `${name} did not go on after the old workers stopped`);
      }
      // Changed, removed, added: never twice; the changed one runs its new version once the old workers are gone.
      for (const name of ['changing', 'leaving', 'arriving'])
        assert.deepEqual(
          doubled(ticksOf(name)),
          [],
          `${name}: ticks ran twice: ${runsOf(name, doubled(ticksOf(name)))}`,
        );
      assert.ok(
        ticksOf('changing', 'v2').some((tick) => tick > oldGone),
        'the changed schedule did not run its new version',
      );
      assert.ok(
        ticksOf('changing', 'v2').every((tick) => tick % 2_000 === 0),
        'v2 ran off its own expression',
      );
      assert.ok(
        ticksOf('leaving').every((tick) => tick <= oldGone),
        'the removed schedule fired after the old workers left',
      );
      assert.deepEqual(missingTicks(ticksOf('arriving'), 1_000), [], 'arriving: ticks missing');
      assert.ok(overlapping(ticksOf('arriving')) >= 13, 'the added schedule did not fire during the overlap');
    } finally {
      for (const w of [...old, ...(fresh ? [fresh] : [])]) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await deleteJobQueue(queue);
      await deleteQueues(...leases);
    }
  });
});

describe('a tick a stopping worker gave back before it started', () => {
  const cases = [
    { catchUp: 'skip', late: 30_000, runs: false },
    { catchUp: 'latest', late: 30_000, runs: true },
    { catchUp: 'skip', late: 1_000, runs: true },
  ] as const;
  for (const { catchUp, late, runs } of cases)
    it(`with catchUp ${catchUp}, coming back ${late / 1000} s after its tick: ${runs ? 'runs once' : 'skipped'}, never counted as a crash`, async () => {
      const queue = uniqueName('tick-back');
      const job = uniqueName('tick');
      // A yearly expression: the scheduler fires nothing during the test, and the latest tick of a year ago is long gone.
      const spec = { name: 'yearly', cron: '0 0 1 1 *', catchUp, args: { label: 'tick' } };
      const args = z.object({ label: z.string() });
      const schedule = compileSchedule(job, 0, spec, args);
      const tick = new Date(Math.floor((Date.now() - late) / 1000) * 1000);
      const ran: Date[] = [];
      let holding = false;
      const settings = (hold: (ctx: JobContext) => Promise<void> | void) => ({
        queue,
        queueType: 'quorum' as const,
        // One slot, taken by `hold`: the tick waits, prefetched, and the stop gives it back before it started.
        maxConcurrentJobs: 1,
        prefetchCount: 10,
        gracefulShutdownTimeout: 0,
        handlers: {
          hold,
          [job]: { args, schedules: [spec], handler: (ctx: JobContext) => void ran.push(ctx.tick as Date) },
        },
      });
      const workers: StartedWorker[] = [];
      try {
        await declareJobQueue(queue, 'quorum');
        await publishRaw(
          '',
          queue,
          encodeJobBody(firstAttempt(queue, 'hold', {})),
          jobPublishOptions(firstAttempt(queue, 'hold', {})),
        );
        const tickJob = { ...firstAttempt(queue, job, { label: 'tick' }), jobId: tickJobId(schedule, tick) };
        const first = await startWorker(
          settings(
            (ctx) =>
              new Promise<void>((_resolve, reject) => {
                holding = true;
                ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
              }),
          ),
        );
        workers.push(first);
        assert.ok(await waitFor(() => holding), 'the slot was not taken');
        await publishRaw('', queue, encodeJobBody(tickJob), jobPublishOptions(tickJob));
        assert.ok(await waitFor(async () => (await queueDepth(queue)) === 0), 'the tick was not prefetched');
        await first.worker.close();
        assert.equal(ran.length, 0, 'the tick ran before the stop');
        assert.equal(await queueDepth(queue), 2, 'the stop gave both jobs back');

        const second = await startWorker(settings(() => undefined));
        workers.push(second);
        const settled = () => ran.length > 0 || events(second.logger, 'scheduler.tick_skipped').length > 0;
        assert.ok(await waitFor(async () => settled() && (await queueDepth(queue)) === 0), 'the tick did not settle');
        await second.worker.close();
        assert.deepEqual(
          ran.map((t) => t.toISOString()),
          runs ? [tick.toISOString()] : [],
        );
        const skipped = events(second.logger, 'scheduler.tick_skipped');
        assert.equal(skipped.length, runs ? 0 : 1);
        if (!runs) assert.ok(Number(skipped[0]?.fields?.late) >= late, 'the skip states how late the tick came back');
        for (const { logger } of workers)
          for (const event of ['job.isolated', 'job.return_counted'])
            assert.equal(events(logger, event).length, 0, `${event}: a stop was taken for a crash`);
        assert.equal(await queueDepth(queue), 0);
      } finally {
        for (const { worker } of workers) await worker.close();
        await deleteJobQueue(queue);
        await deleteQueues(leaseQueueName('arq', schedule));
      }
    });
});
