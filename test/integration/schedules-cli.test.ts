// `rabbitmq-arq schedules list`: every schedule of a worker module with its next and previous tick.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRabbitmqArq } from '../helpers/cli.js';
import { REDIS_URL } from '../helpers/redis.js';

const module = `${new URL('./fixtures/schedules-module.ts', import.meta.url).pathname}:workerSettings`;

describe('rabbitmq-arq schedules list', () => {
  it('lists each schedule with its next and previous tick, and the tick status with a result store', async () => {
    const before = Date.now();
    const { code, stdout, stderr } = await runRabbitmqArq([
      'schedules',
      'list',
      '-m',
      module,
      '--json',
      '--result-store',
      REDIS_URL,
    ]);
    assert.equal(code, 0, stderr);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string | null>);
    assert.deepEqual(
      rows.map((row) => [row.job, row.name, row.cron, row.tz]),
      [
        ['report', 'nightly', '30 2 * * *', 'Europe/Berlin'],
        ['report', '1', '*/15 * * * *', 'UTC'],
      ],
    );
    const quarter = rows[1] as Record<string, string | null>;
    const next = Date.parse(quarter.next as string);
    const previous = Date.parse(quarter.previous as string);
    assert.equal(next - previous, 15 * 60_000);
    assert.ok(previous <= Date.now() && next > before);
    assert.equal(quarter.previousStatus, null, 'no tick of this schedule ever ran');
  });

  it('prints a table without --json, and fails with one line on a module without that export', async () => {
    const table = await runRabbitmqArq(['schedules', 'list', '-m', module]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^job +schedule +cron +tz +next +last tick\nreport +nightly +30 2 \* \* \* +Europe\/Berlin /,
    );
    const missing = await runRabbitmqArq(['schedules', 'list', '-m', `${module}Nope`]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  });
});
