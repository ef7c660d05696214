import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { buildModel } from './build-model.js';
import { compareWithDisk, isUpToDate, readPreviousOutput } from './check-files.js';
import { findRenderedSyntaxErrors } from './check-syntax.js';
import { emitFiles } from './emit-files.js';
import { loadSchema } from './load-schema.js';
import { ExitCode, RefusedError, SchemaError, formatDiagnostic, formatWarning } from './model.js';
import type { GenerateOptions, GenerateReport, RenderedFiles, SchemaModel } from './model.js';
import { displayPath } from './project-paths.js';
import { renderFiles } from './render-files.js';
import { evolutionWarnings } from './schema-evolution.js';

/** Everything one run computes before touching the disk: the model and the rendered files. */
export interface RenderedSchema {
  model: SchemaModel;
  rendered: RenderedFiles;
  /** Local files the schema imported, for watch mode. */
  localFiles: string[];
}

/**
 * Load → model → render → syntax-check, writing nothing. Throws SchemaError or RefusedError.
 * This is the pure core that `generate`, `--check` and the golden tests share.
 */
export async function renderSchema(options: GenerateOptions): Promise<RenderedSchema> {
  const loaded = await loadSchema(options.schema, options.cwd);
  const model = buildModel(loaded, options);
  const rendered = renderFiles(model, displayPath(options.cwd, options.handlers));
  const syntaxErrors = findRenderedSyntaxErrors(rendered, model, {
    out: displayPath(options.cwd, options.out),
    handlers: displayPath(options.cwd, options.handlers),
  });
  if (syntaxErrors.length > 0) throw new SchemaError(syntaxErrors);
  return { model, rendered, localFiles: loaded.localFiles };
}

/**
 * `arq-gen generate` and `arq-gen generate --check`: one run, reported as lines and an exit code
 * (0 ok, 1 stale, 2 schema errors, 3 refused or I/O error). Never throws for expected failures.
 */
export async function runGenerate(options: GenerateOptions): Promise<GenerateReport> {
  const messages: string[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  let watchedFiles: string[] = [resolve(options.cwd, options.schema)];
  const report = (exitCode: ExitCode): GenerateReport => ({ exitCode, messages, errors, warnings, watchedFiles });
  const outShown = displayPath(options.cwd, options.out);
  const schemaShown = displayPath(options.cwd, options.schema);
  try {
    checkLayout(options);
    const { model, rendered, localFiles } = await renderSchema(options);
    watchedFiles = localFiles;
    const out = resolve(options.cwd, options.out);
    warnings.push(...model.warnings.map(formatWarning));

    if (options.check) {
      const comparison = compareWithDisk(rendered.generated, out);
      if (isUpToDate(comparison)) {
        messages.push(`${outShown}/ is up to date with ${schemaShown}`);
        return report(ExitCode.ok);
      }
      errors.push(`${outShown}/ is stale: run \`${model.command}\` and commit the result`);
      for (const path of comparison.stale) errors.push(`  stale:   ${outShown}/${path}`);
      for (const path of comparison.missing) errors.push(`  missing: ${outShown}/${path}`);
      for (const path of comparison.extra) errors.push(`  extra:   ${outShown}/${path}`);
      return report(ExitCode.stale);
    }

    const handlersShown = displayPath(options.cwd, options.handlers);
    // Compared with what is on disk before it is overwritten: the last run's output is the queue's past.
    warnings.push(...evolutionWarnings(readPreviousOutput(out), model).map(formatWarning));
    const result = emitFiles(
      rendered,
      { out, handlers: resolve(options.cwd, options.handlers), outShown },
      model.jobs.map((job) => job.name),
    );
    const unchanged = rendered.generated.size - result.written.length;
    messages.push(
      `${outShown}/: ${result.written.length} written, ${unchanged} unchanged${result.deleted.length > 0 ? `, ${result.deleted.length} removed` : ''} (${model.jobs.length} job${model.jobs.length === 1 ? '' : 's'} from ${schemaShown})`,
    );
    for (const path of result.deleted) messages.push(`removed ${outShown}/${path} (nothing generates it any more)`);
    for (const path of result.scaffolded) messages.push(`created ${handlersShown}/${path}`);
    if (result.handlersIndexExisted) {
      for (const path of result.scaffolded) {
        const name = path.slice(0, -'.ts'.length);
        messages.push(
          `add the new job to ${handlersShown}/index.ts: import ${name}Handler from './${name}.js' and list \`${name}: ${name}Handler\` (tsc reports it until you do)`,
        );
      }
    }
    for (const path of result.orphanHandlers) {
      messages.push(
        `${handlersShown}/${path} matches no job in ${schemaShown} (a removed job's handler?); it was left as it is`,
      );
    }
    return report(ExitCode.ok);
  } catch (err) {
    if (err instanceof SchemaError) {
      errors.push(...err.diagnostics.map(formatDiagnostic));
      const count = err.diagnostics.length;
      errors.push(`arq-gen: ${count} problem${count === 1 ? '' : 's'} in ${schemaShown}; nothing was written`);
      return report(ExitCode.schemaError);
    }
    if (err instanceof RefusedError) {
      errors.push(`arq-gen: ${err.message}`);
      return report(ExitCode.refused);
    }
    errors.push(`arq-gen: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return report(ExitCode.refused);
  }
}

/** The output folder is cleared of files it no longer renders, so it must not hold the user's own files. */
function checkLayout(options: GenerateOptions): void {
  const out = resolve(options.cwd, options.out);
  const inside = (path: string): boolean => {
    const rel = relative(out, resolve(options.cwd, path));
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
  };
  const outShown = displayPath(options.cwd, options.out);
  if (inside(options.schema)) {
    throw new RefusedError(
      `refusing to use ${outShown}/ as the output folder: the schema file is inside it; pick another --out`,
    );
  }
  if (inside(options.handlers)) {
    throw new RefusedError(
      `refusing to use ${outShown}/ as the output folder: the handlers folder is inside it; pick another --out or --handlers`,
    );
  }
}

/** Output of a watch session, line by line. */
export interface WatchOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `arq-gen generate --watch`: generates, then again whenever the schema file or a local file it
 * imports changes, until `signal` aborts. Errors are printed and watching goes on, so a half-typed
 * schema never ends the session.
 */
export async function watchGenerate(options: GenerateOptions, output: WatchOutput, signal: AbortSignal): Promise<void> {
  const watchers = new Map<string, FSWatcher>();
  let watched = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const run = async (): Promise<void> => {
    const report = await runGenerate({ ...options, check: false });
    for (const line of report.messages) output.out(line);
    for (const line of report.warnings) output.err(line);
    for (const line of report.errors) output.err(line);
    // After a failure the imports may be unknown (a syntax error stops loading early): keep watching
    // what the last good run imported too, so fixing an imported file regenerates.
    watched = new Set(report.exitCode === 0 ? report.watchedFiles : [...watched, ...report.watchedFiles]);
    // Watch folders, not files: editors that save by renaming would leave a file watcher on a dead inode.
    const folders = new Set([...watched].map((file) => dirname(file)));
    for (const [folder, watcher] of watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, (_event, name) => {
          if (name !== null && watched.has(resolve(folder, name.toString()))) schedule();
        });
        watcher.on('error', (err) =>
          output.err(`arq-gen: watching ${displayPath(options.cwd, folder)} failed: ${err.message}`),
        );
        watchers.set(folder, watcher);
      } catch (err) {
        output.err(`arq-gen: cannot watch ${displayPath(options.cwd, folder)}: ${(err as Error).message}`);
      }
    }
    output.out(`watching ${[...watched].map((file) => displayPath(options.cwd, file)).join(', ')} for changes`);
  };

  const trigger = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
      if (again && !signal.aborted) {
        again = false;
        trigger();
      }
    });
  };
  // Editors write a file in several steps; one regeneration per burst of events is enough.
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(trigger, 100);
  };

  trigger();
  await new Promise<void>((resolveStop) => {
    if (signal.aborted) resolveStop();
    signal.addEventListener('abort', () => resolveStop(), { once: true });
  });
  clearTimeout(timer);
  for (const watcher of watchers.values()) watcher.close();
  await running;
}
