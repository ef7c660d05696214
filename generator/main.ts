#!/usr/bin/env node
import { Builtins } from 'clipanion';
import { isEntryModule } from 'rabbitmq-arq/internal';
import { NamedValueCli } from 'rabbitmq-arq/internal/command-line';
import { GenerateCommand } from './generate-command.js';
import { packageInfo } from './package-info.js';

/** The `arq-gen` command line of the generator package: `arq-gen generate`. */
export const cli = new NamedValueCli({
  binaryLabel: 'arq-gen (rabbitmq-arq generator)',
  binaryName: 'arq-gen',
  binaryVersion: packageInfo().version,
  // Colour only on a terminal, and never with NO_COLOR (https://no-color.org).
  enableColors: process.stdout.isTTY === true && !process.env.NO_COLOR,
});
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);
cli.register(GenerateCommand);

if (isEntryModule(import.meta.url)) void cli.runExit(process.argv.slice(2));
