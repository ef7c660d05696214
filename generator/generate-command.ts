import { Command, Option } from 'clipanion';
import { defaultPaths } from './build-model.js';
import { runGenerate, watchGenerate } from './generate.js';

/** `arq-gen generate`: parses flags and hands over to the generator. */
export class GenerateCommand extends Command {
  static override paths = [['generate']];

  static override usage = Command.Usage({
    description:
      'Generate the typed client, worker wiring, handler stubs and cross-language contracts from jobs.schema.ts',
    details: `
      Writes the output folder (default \`generated/\`: the typed client and worker wiring, JSON Schema documents
      under \`schemas/\`, \`asyncapi.json\` and \`manifest.json\`) and creates a handler file for each job that has
      none (default \`handlers/\`; existing handler files are never overwritten).

      Warnings go to stderr and do not change the exit code: a refinement JSON Schema cannot express, and (when
      writing) a change of a job's arguments that would dead-letter jobs already queued, with the safe alternative.

      Exit codes: 0 ok, 1 stale (with --check), 2 schema errors, 3 refused or I/O error.
    `,
    examples: [
      ['Generate from jobs.schema.ts', '$0 generate'],
      ['Fail when generated/ is out of date (CI)', '$0 generate --check'],
      ['Regenerate on every change of the schema', '$0 generate --watch'],
    ],
  });

  schema = Option.String('--schema', defaultPaths.schema, {
    description: 'The schema file (defineJobs default export)',
  });
  out = Option.String('--out', defaultPaths.out, { description: 'Output folder, owned by arq-gen' });
  handlers = Option.String('--handlers', defaultPaths.handlers, {
    description: 'Handlers folder; stubs are created once',
  });
  check = Option.Boolean('--check', false, {
    description: 'Compare with the output folder instead of writing; exit 1 when stale',
  });
  watch = Option.Boolean('--watch', false, {
    description: 'Regenerate whenever the schema or a file it imports changes',
  });

  async execute(): Promise<number> {
    const options = {
      schema: this.schema,
      out: this.out,
      handlers: this.handlers,
      check: this.check,
      cwd: process.cwd(),
    };
    const print = (line: string): void => void this.context.stdout.write(line + '\n');
    const printError = (line: string): void => void this.context.stderr.write(line + '\n');
    if (this.watch) {
      if (this.check) {
        printError('arq-gen: --watch and --check cannot be combined');
        return 3;
      }
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await watchGenerate(options, { out: print, err: printError }, stop.signal);
      return 0;
    }
    const report = await runGenerate(options);
    report.messages.forEach(print);
    report.warnings.forEach(printError);
    report.errors.forEach(printError);
    return report.exitCode;
  }
}
