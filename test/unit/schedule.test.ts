// Tick arithmetic of schedules on a fake clock: time zones, daylight-saving transitions, catch-up after downtime,
// and the checks the generator and the worker run on a declared schedule.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  MISFIRE_GRACE_MS,
  compileSchedule,
  dueTicks,
  returnedTickRuns,
  scheduleProblems,
  tickJobId,
  tickOf,
  tickOfJobId,
} from '../../runtime/schedules/schedule.js';
import { InvalidSchedule, Worker } from '../../runtime/index.js';

const iso = (text: string): Date => new Date(text);
const everyMinute = (catchUp?: 'skip' | 'latest') =>
  compileSchedule('job', 0, { cron: '* * * * *', ...(catchUp ? { catchUp } : {}) }, undefined);
const nextAfter = (cron: string, tz: string, after: string): string | undefined =>
  compileSchedule('job', 0, { cron, tz }, undefined).next(iso(after))?.toISOString();

describe('schedule ticks', () => {
  it('reads the expression in its time zone', () => {
    assert.equal(nextAfter('0 9 * * *', 'Europe/Berlin', '2026-01-15T00:00:00Z'), '2026-01-15T08:00:00.000Z');
    assert.equal(nextAfter('0 9 * * *', 'Europe/Berlin', '2026-07-15T00:00:00Z'), '2026-07-15T07:00:00.000Z');
    assert.equal(nextAfter('0 9 * * *', 'Asia/Shanghai', '2026-07-15T00:00:00Z'), '2026-07-15T01:00:00.000Z');
    assert.equal(nextAfter('0 9 * * *', 'UTC', '2026-07-15T00:00:00Z'), '2026-07-15T09:00:00.000Z');
  });

  it('runs a daily 02:30 Berlin job once on the spring-forward day, when 02:30 does not exist', () => {
    // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST. The tick moves to 03:00 CEST (01:00Z); the next day is normal.
    const schedule = compileSchedule('job', 0, { cron: '30 2 * * *', tz: 'Europe/Berlin' }, undefined);
    const first = schedule.next(iso('2026-03-28T12:00:00Z'));
    assert.equal(first?.toISOString(), '2026-03-29T01:00:00.000Z');
    assert.equal(schedule.next(first as Date)?.toISOString(), '2026-03-30T00:30:00.000Z');
  });

  it('runs a daily 02:30 Berlin job once on the fall-back day, when 02:30 happens twice', () => {
    // 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET; 02:30 exists at 00:30Z and 01:30Z.
    const schedule = compileSchedule('job', 0, { cron: '30 2 * * *', tz: 'Europe/Berlin' }, undefined);
    const ticks: string[] = [];
    for (let t = schedule.next(iso('2026-10-24T12:00:00Z')); t && t < iso('2026-10-26T12:00:00Z'); t = schedule.next(t))
      ticks.push(t.toISOString());
    assert.equal(ticks.filter((tick) => tick.startsWith('2026-10-25')).length, 1, ticks.join(', '));
    assert.equal(ticks.length, 2);
  });

  it('keeps an hourly schedule hourly across a transition (23 or 25 ticks that day)', () => {
    const schedule = compileSchedule('job', 0, { cron: '0 * * * *', tz: 'Europe/Berlin' }, undefined);
    const count = (fromIso: string, toIso: string): number => {
      let n = 0;
      for (let t = schedule.next(new Date(iso(fromIso).getTime() - 1)); t && t < iso(toIso); t = schedule.next(t))
        n += 1;
      return n;
    };
    assert.equal(count('2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'), 23);
    assert.equal(count('2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z'), 25);
  });
});

describe('dueTicks', () => {
  it('fires the ticks since the last one that are at most the grace late, in order', () => {
    const due = dueTicks(everyMinute(), iso('2026-01-01T10:00:00Z'), iso('2026-01-01T10:01:05Z'));
    assert.deepEqual(
      due.map((t) => t.toISOString()),
      ['2026-01-01T10:01:00.000Z'],
    );
    assert.deepEqual(dueTicks(everyMinute(), iso('2026-01-01T10:01:00Z'), iso('2026-01-01T10:01:59Z')), []);
  });

  it('skips ticks missed while no worker ran, by default', () => {
    const due = dueTicks(everyMinute(), iso('2026-01-01T10:00:00Z'), iso('2026-01-01T13:00:05Z'));
    assert.deepEqual(
      due.map((t) => t.toISOString()),
      ['2026-01-01T13:00:00.000Z'],
    );
  });

  it('with catchUp latest, runs the latest missed tick once, then the due ones', () => {
    const due = dueTicks(everyMinute('latest'), iso('2026-01-01T10:00:00Z'), iso('2026-01-01T13:00:05Z'));
    assert.deepEqual(
      due.map((t) => t.toISOString()),
      ['2026-01-01T12:59:00.000Z', '2026-01-01T13:00:00.000Z'],
    );
    assert.ok(MISFIRE_GRACE_MS < 65_000 && MISFIRE_GRACE_MS >= 5_000, 'the test assumes 12:59 missed, 13:00 due');
  });

  it('fires nothing for a schedule that never fired: it starts now', () => {
    assert.deepEqual(dueTicks(everyMinute('latest'), undefined, iso('2026-01-01T10:00:30Z')), []);
  });
});

describe('a tick a stopping worker gave back', () => {
  const tick = iso('2026-01-01T10:00:00Z');
  const after = (ms: number): Date => new Date(tick.getTime() + ms);

  it('runs when it comes back at most the grace late, with either catch-up', () => {
    assert.equal(returnedTickRuns(everyMinute(), tick, after(MISFIRE_GRACE_MS - 1)), true);
    assert.equal(returnedTickRuns(everyMinute('latest'), tick, after(2_000)), true);
  });

  it('is skipped when it comes back later, by default', () => {
    assert.equal(returnedTickRuns(everyMinute(), tick, after(MISFIRE_GRACE_MS)), false);
    assert.equal(returnedTickRuns(everyMinute(), tick, after(30_000)), false);
  });

  it('with catchUp latest, runs only if it is the latest missed tick of its schedule', () => {
    // 30 s late: the next tick (10:01) is not due yet, so this is the latest missed one.
    assert.equal(returnedTickRuns(everyMinute('latest'), tick, after(30_000)), true);
    // 65 s late: 10:01 is only 5 s late and runs by itself; 10:00 is still the latest missed tick.
    assert.equal(returnedTickRuns(everyMinute('latest'), tick, after(65_000)), true);
    // 75 s late: 10:01 is missed too (15 s late), and it is the one to catch up.
    assert.equal(returnedTickRuns(everyMinute('latest'), tick, after(75_000)), false);
  });

  it('is found by its job id among the schedules of its job', () => {
    const nightly = compileSchedule('report', 0, { cron: '0 2 * * *', name: 'nightly' }, undefined);
    const hourly = compileSchedule('report', 1, { cron: '0 * * * *' }, undefined);
    const found = tickOf([nightly, hourly], tickJobId(hourly, tick));
    assert.equal(found?.schedule, hourly);
    assert.equal(found?.tick.toISOString(), tick.toISOString());
    assert.equal(tickOf([nightly], tickJobId(hourly, tick)), undefined);
    assert.equal(tickOf([nightly, hourly], 'a-plain-job-id'), undefined);
  });
});

describe('scheduleProblems', () => {
  const args = z.object({ region: z.enum(['eu', 'us']) });

  it('accepts a valid schedule', () => {
    assert.deepEqual(scheduleProblems({ cron: '0 * * * *', tz: 'Europe/Berlin', args: { region: 'eu' } }, args), []);
    assert.deepEqual(scheduleProblems({ cron: '*/10 * * * * *', args: { region: 'us' }, catchUp: 'latest' }, args), []);
  });

  it('names what is wrong: cron, time zone, args, catch-up, unknown keys', () => {
    assert.match(
      scheduleProblems({ cron: '61 * * * *', args: { region: 'eu' } }, args).join(),
      /cron "61 \* \* \* \*" is not a valid expression/,
    );
    assert.match(
      scheduleProblems({ cron: '* * * * *', tz: 'Mars/Base', args: { region: 'eu' } }, args).join(),
      /tz "Mars\/Base"/,
    );
    assert.match(
      scheduleProblems({ cron: '* * * * *', args: { region: 'mars' } }, args).join(),
      /args fail the job's schema: region/,
    );
    assert.match(
      scheduleProblems({ cron: '* * * * *', args: { region: 'eu' }, catchUp: 'all' }, args).join(),
      /catchUp/,
    );
    assert.match(
      scheduleProblems({ cron: '* * * * *', args: { region: 'eu' }, every: 5 }, args).join(),
      /unknown key "every"/,
    );
  });

  it('is InvalidSchedule wherever a schedule is checked: compiling it, and constructing a worker', () => {
    const bad = (err: unknown): boolean =>
      err instanceof InvalidSchedule &&
      err.code === 'INVALID_SCHEDULE' &&
      /schedule 1 of job "nightly": cron "61 \* \* \* \*" is not a valid expression.*; tz "Mars\/Base"/.test(
        err.message,
      );
    const schedules = [{ cron: '0 * * * *' }, { cron: '61 * * * *', tz: 'Mars/Base' }];
    assert.throws(() => compileSchedule('nightly', 1, schedules[1]!, undefined), bad);
    assert.throws(
      () =>
        new Worker({
          logLevel: 'silent',
          handleSignals: false,
          handlers: { nightly: { handler: () => 1, schedules } },
        }),
      (err: unknown) => bad(err) && (err as Error).message.startsWith('invalid worker settings: schedule 1 of job'),
    );
  });
});

describe('tick job ids', () => {
  it('are the same on every worker and carry the tick time', () => {
    const tick = iso('2026-01-01T10:00:00Z');
    const id = tickJobId({ key: 'report:nightly' }, tick);
    assert.equal(id, 'cron:report:nightly:2026-01-01T10:00:00.000Z');
    assert.equal(tickOfJobId(id)?.toISOString(), tick.toISOString());
    assert.equal(tickOfJobId('0123456789abcdef0123456789abcdef'), undefined);
  });
});
