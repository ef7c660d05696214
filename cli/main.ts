#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Builtins } from 'clipanion';
import { GenerateCommand } from './generate-command.js';
import { WorkerCommand } from './worker-command.js';
import { EnqueueCommand } from './enqueue-command.js';
import { PurgeQueueCommand, QueueInfoCommand } from './queue-commands.js';
import { ValidateConfigCommand } from './validate-config-command.js';
import { DlqListCommand, DlqPurgeCommand, DlqReplayCommand } from './dlq-commands.js';
import { JobAbortCommand, JobResultCommand, JobStatusCommand } from './job-commands.js';
import { HealthCommand } from './health-command.js';
import { SchedulesListCommand } from './schedules-command.js';
import { packageInfo } from '../generator/package-info.js';
import { NamedValueCli } from './usage-placeholders.js';

/** The `arq-gen` command line; each command is registered here, one line each. */
export const cli = new NamedValueCli({
  binaryLabel: 'rabbitmq-arq',
  binaryName: 'arq-gen',
  binaryVersion: packageInfo().version,
  // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
  enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);
cli.register(GenerateCommand);
cli.register(WorkerCommand);
cli.register(EnqueueCommand);
cli.register(QueueInfoCommand);
cli.register(PurgeQueueCommand);
cli.register(DlqListCommand);
cli.register(DlqReplayCommand);
cli.register(DlqPurgeCommand);
cli.register(ValidateConfigCommand);
cli.register(JobStatusCommand);
cli.register(JobResultCommand);
cli.register(JobAbortCommand);
cli.register(HealthCommand);
cli.register(SchedulesListCommand);

if (isEntryModule()) void cli.runExit(process.argv.slice(2));

/** True when this file is the program being run (not imported by a test). */
function isEntryModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
