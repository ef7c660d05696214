/**
 * `rabbitmq-arq schedules list -m path:export`: the schedules a worker module declares, each with its
 * next tick and its previous one; with a result store, also how that previous tick's job ended.
 */
import { Command, Option } from 'clipanion';
import { ResultStore } from '../runtime/results/result-store.js';
import { compileSchedule } from '../runtime/schedules/schedule.js';
import type { CompiledSchedule } from '../runtime/schedules/schedule.js';
import { tickJobId } from '../runtime/schedules/schedule.js';
import { resolveResultStore } from '../runtime/settings/settings.js';
import { reportFailure } from './command-support.js';
import { loadWorkerSettings } from './worker-module.js';

interface ScheduleRow {
  job: string;
  name: string;
  cron: string;
  tz: string;
  catchUp: string;
  next: string | null;
  previous: string | null;
  /** Status of the previous tick's job in the result store; null without a store or a record. */
  previousStatus: string | null;
}

export class SchedulesListCommand extends Command {
  static override paths = [['schedules', 'list']];

  static override usage = Command.Usage({
    description: 'List the schedules of a worker module, with their next and last ticks',
    details: `
      Reads the module as \`rabbitmq-arq worker -m\` does. With --result-store (or ARQ_RESULT_STORE) it also
      shows the status of each schedule's previous tick (docs/scheduling.md).
    `,
    examples: [['The schedules of the generated worker', '$0 schedules list -m ./worker.ts:workerSettings']],
  });

  module = Option.String('-m,--module', { required: true, description: 'Worker module, path:export' });
  resultStore = Option.String('--result-store', { description: 'Redis URL (default: $ARQ_RESULT_STORE)' });
  json = Option.Boolean('--json', false, { description: 'One JSON object per schedule' });

  async execute(): Promise<number> {
    let store: ResultStore | undefined;
    try {
      const settings = await loadWorkerSettings(this.module, process.cwd());
      const schedules: CompiledSchedule[] = [];
      for (const [job, entry] of Object.entries(settings.handlers ?? {})) {
        if (typeof entry === 'function') continue;
        (entry.schedules ?? []).forEach((spec, index) => schedules.push(compileSchedule(job, index, spec, entry.args)));
      }
      const url = this.resultStore ?? process.env.ARQ_RESULT_STORE ?? settings.resultStore;
      const storeSettings = url ? resolveResultStore({ ...settings, resultStore: url }) : undefined;
      if (storeSettings) store = await ResultStore.open({ ...storeSettings, connectionTimeout: 5_000 });
      const now = new Date();
      const rows: ScheduleRow[] = [];
      for (const schedule of schedules) {
        const previous = schedule.previous(now);
        const record = previous && store ? await store.get(tickJobId(schedule, previous)) : null;
        rows.push({
          job: schedule.job,
          name: schedule.name,
          cron: schedule.cron,
          tz: schedule.tz,
          catchUp: schedule.catchUp,
          next: schedule.next(now)?.toISOString() ?? null,
          previous: previous?.toISOString() ?? null,
          previousStatus: record?.status ?? null,
        });
      }
      this.print(rows, store !== undefined);
      return 0;
    } catch (err) {
      reportFailure(this.context.stderr, this.cli.binaryName, 'schedules list', err, false);
      return 1;
    } finally {
      await store?.close();
    }
  }

  private print(rows: ScheduleRow[], withStore: boolean): void {
    if (this.json) {
      for (const row of rows) this.context.stdout.write(JSON.stringify(row) + '\n');
      return;
    }
    if (rows.length === 0) {
      this.context.stdout.write('no schedules\n');
      return;
    }
    const table = [
      ['job', 'schedule', 'cron', 'tz', 'next', withStore ? 'last tick (status)' : 'last tick'],
      ...rows.map((row) => [
        row.job,
        row.name,
        row.cron,
        row.tz,
        row.next ?? '-',
        `${row.previous ?? '-'}${withStore ? ` (${row.previousStatus ?? 'no record'})` : ''}`,
      ]),
    ];
    const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
    for (const line of table)
      this.context.stdout.write(
        line
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd() + '\n',
      );
  }
}
