#!/usr/bin/env node
import { Builtins } from 'clipanion';
import { WorkerCommand } from './worker-command.js';
import { EnqueueCommand } from './enqueue-command.js';
import { PurgeQueueCommand, QueueInfoCommand } from './queue-commands.js';
import { ValidateConfigCommand } from './validate-config-command.js';
import { DlqListCommand, DlqPurgeCommand, DlqReplayCommand } from './dlq-commands.js';
import { JobAbortCommand, JobResultCommand, JobStatusCommand } from './job-commands.js';
import { HealthCommand } from './health-command.js';
import { SchedulesListCommand } from './schedules-command.js';
import { isEntryModule } from '../runtime/entry-module.js';
import { findPackageManifest } from '../runtime/package-manifest.js';
import { NamedValueCli } from './usage-placeholders.js';

/** The `rabbitmq-arq` operator command line; each command is registered here, one line each. */
export const cli = new NamedValueCli({
  binaryLabel: 'rabbitmq-arq',
  binaryName: 'rabbitmq-arq',
  binaryVersion: findPackageManifest('rabbitmq-arq', import.meta.url).version,
  // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
  enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);
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

if (isEntryModule(import.meta.url)) void cli.runExit(process.argv.slice(2));
