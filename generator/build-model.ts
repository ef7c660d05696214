import type { z } from 'zod';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { convertJsonSchema } from './convert-json-schema.js';
import { locateJobs } from './locate-jobs.js';
import type { FoundPosition } from './locate-jobs.js';
import { SchemaError, compareStrings } from './model.js';
import type {
  Diagnostic,
  GenerateOptions,
  JobModel,
  LoadedSchema,
  ScheduleModel,
  SchemaModel,
  SourceLocation,
} from './model.js';
import { packageInfo } from './package-info.js';
import { displayPath, folderSpecifier, importSpecifier, relativePosix } from './project-paths.js';
import { sha256, stableJson } from './stable-json.js';
import { jobTimeoutSchema, maxRetriesSchema, queueNameProblems, scheduleProblems } from 'rabbitmq-arq/internal';
import type { ScheduleSpec } from 'rabbitmq-arq/internal';

/** Default values of the `generate` flags; a flag left at its default is not repeated in messages. */
export const defaultPaths = { schema: 'jobs.schema.ts', out: 'generated', handlers: 'handlers' } as const;

const definitionKeys = new Set(['queue', 'jobs']);
const jobKeys = new Set(['description', 'args', 'result', 'queue', 'maxRetries', 'timeout', 'schedules']);
const identifier = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
const windowsDeviceName = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * Checks the loaded definition and turns it into the generator's model: every job sorted by name,
 * with its options, the hashes of its JSON Schemas and the line it is declared on. Every problem is
 * collected, and all of them are thrown at once as a SchemaError.
 */
export function buildModel(loaded: LoadedSchema, options: GenerateOptions): SchemaModel {
  const schemaShown = displayPath(options.cwd, loaded.path);
  const definition = loaded.definition;
  const rawJobs = isPlainObject(definition) && isPlainObject(definition.jobs) ? definition.jobs : undefined;
  const names = rawJobs ? Object.keys(rawJobs) : [];
  const positions = locateJobs(readLocalFiles(loaded, options.cwd), names);
  const definitionLocation: SourceLocation = toLocation(positions.definition) ?? { file: schemaShown };
  const jobLocation = (name: string): SourceLocation => toLocation(positions.jobs.get(name)) ?? definitionLocation;

  const diagnostics: Diagnostic[] = [];
  const problem = (location: SourceLocation, message: string, job?: string): void => {
    diagnostics.push(job === undefined ? { location, message } : { location, job, message });
  };
  const warnings: Diagnostic[] = [];

  if (definition === undefined) {
    problem(
      { file: schemaShown },
      "has no default export; end it with `export default defineJobs({ jobs: { ... } })` (defineJobs from 'rabbitmq-arq')",
    );
    throw new SchemaError(diagnostics);
  }
  if (!rawJobs) {
    problem(
      definitionLocation,
      `the default export must be \`defineJobs({ jobs: { ... } })\` from 'rabbitmq-arq', but it is ${describe(definition)}${isPlainObject(definition) ? ` whose \`jobs\` is ${describe(definition.jobs)}` : ''}`,
    );
    throw new SchemaError(diagnostics);
  }
  const definitionObject = definition as Record<string, unknown>;
  for (const key of Object.keys(definitionObject)) {
    if (!definitionKeys.has(key))
      problem(definitionLocation, `unknown key "${key}" in defineJobs({ ... }); the keys are queue and jobs`);
  }
  const defaultQueue = checkQueue(definitionObject.queue, 'the default `queue`', (message) =>
    problem(definitionLocation, message),
  );

  if (names.length === 0)
    problem(
      definitionLocation,
      'defines no jobs; add one under `jobs`, e.g. `sendEmail: { args: z.object({ to: z.email() }) }`',
    );
  checkNameClashes(names, jobLocation, problem);

  const jobs: JobModel[] = [];
  for (const name of names) {
    const location = jobLocation(name);
    const report = (message: string): void => problem(location, message, name);
    const nameProblem = checkJobName(name);
    if (nameProblem) report(nameProblem);
    const warn = (message: string): void => void warnings.push({ location, job: name, message });
    const job = jobModel(name, rawJobs[name], location, defaultQueue, loaded.isoDate, report, warn);
    if (job && !nameProblem) jobs.push(job);
  }
  if (diagnostics.length > 0) throw new SchemaError(sortDiagnostics(diagnostics));

  const outAbsolute = resolve(options.cwd, options.out);
  const handlersAbsolute = resolve(options.cwd, options.handlers);
  return {
    schemaDisplayPath: schemaShown,
    schemaImportFromOut: importSpecifier(outAbsolute, loaded.path),
    outImportFromHandlers: folderSpecifier(handlersAbsolute, outAbsolute),
    schemaPathFromOut: relativePosix(outAbsolute, loaded.path),
    schemaHash: sha256(loaded.sourceText.replace(/\r\n/g, '\n')),
    defaultQueue,
    jobs: jobs.sort((a, b) => compareStrings(a.name, b.name)),
    warnings: sortDiagnostics(warnings),
    generatorVersion: packageInfo().version,
    command: regenerateCommand(options),
  };
}

/** `arq-gen generate` with the flags that differ from their defaults, so the user can paste it. */
export function regenerateCommand(options: Pick<GenerateOptions, 'schema' | 'out' | 'handlers' | 'cwd'>): string {
  const parts = ['arq-gen generate'];
  for (const flag of ['schema', 'out', 'handlers'] as const) {
    if (resolve(options.cwd, options[flag]) !== resolve(options.cwd, defaultPaths[flag])) {
      const value = displayPath(options.cwd, options[flag]);
      parts.push(`--${flag} ${/[\s'"]/.test(value) ? JSON.stringify(value) : value}`);
    }
  }
  return parts.join(' ');
}

function jobModel(
  name: string,
  raw: unknown,
  location: SourceLocation,
  defaultQueue: string | undefined,
  isoDate: unknown,
  report: (message: string) => void,
  warn: (message: string) => void,
): JobModel | undefined {
  if (!isPlainObject(raw)) {
    report(`must be an object like { args: z.object({ ... }) }, but it is ${describe(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!jobKeys.has(key)) report(`unknown key "${key}"; a job's keys are ${[...jobKeys].join(', ')}`);
  }
  const { description, args, result, maxRetries, timeout } = raw;
  let ok = true;
  const fail = (message: string): void => {
    ok = false;
    report(message);
  };

  if (description !== undefined && typeof description !== 'string')
    fail(`description must be a string, but it is ${describe(description)}`);
  const queue = checkQueue(raw.queue, '`queue`', fail);
  if (maxRetries !== undefined && !maxRetriesSchema.safeParse(maxRetries).success) {
    fail(`maxRetries must be a whole number, 0 or more (attempts after the first), but it is ${describe(maxRetries)}`);
  }
  if (timeout !== undefined && !jobTimeoutSchema.safeParse(timeout).success) {
    fail(`timeout must be a whole number of milliseconds greater than 0, but it is ${describe(timeout)}`);
  }

  let argsSchemaHash = '';
  let argsJsonSchema: Record<string, unknown> = {};
  if (zodVersion(args) !== 4 || zodType(args) !== 'object') {
    fail(
      zodVersion(args) === 3
        ? 'args is a Zod 3 schema; rabbitmq-arq needs Zod 4 (`import { z } from "zod"` with zod 4 installed)'
        : `args must be a z.object({ ... }) (a job's arguments travel as one keyword object), but it is ${describe(args)}`,
    );
  } else {
    const converted = convertJsonSchema(args, 'input', isoDate);
    for (const field of converted.unsupported) fail(`args field "${field.path}": ${field.message}`);
    for (const field of converted.lossy) warn(`args field "${field.path}": ${field.message}`);
    argsSchemaHash = sha256(stableJson(converted.jsonSchema));
    argsJsonSchema = converted.jsonSchema;
  }

  const schedules: ScheduleModel[] = [];
  if (raw.schedules !== undefined) {
    if (!Array.isArray(raw.schedules))
      fail(`schedules must be an array of { cron, tz?, args? }, but it is ${describe(raw.schedules)}`);
    else
      raw.schedules.forEach((spec: unknown, index: number) => {
        const problems = scheduleProblems(spec, zodVersion(args) === 4 ? (args as z.ZodType) : undefined);
        for (const problem of problems) fail(`schedules[${index}]: ${problem}`);
        if (problems.length === 0) {
          const { cron, tz, args: tickArgs, catchUp, name: scheduleName } = spec as ScheduleSpec;
          schedules.push({
            name: scheduleName ?? String(index),
            cron,
            tz: tz ?? 'UTC',
            args: (tickArgs ?? {}) as Record<string, unknown>,
            catchUp: catchUp ?? 'skip',
          });
        }
      });
  }

  let resultSchemaHash: string | undefined;
  let resultJsonSchema: Record<string, unknown> | undefined;
  if (result !== undefined) {
    if (zodVersion(result) !== 4) {
      fail(
        zodVersion(result) === 3
          ? 'result is a Zod 3 schema; rabbitmq-arq needs Zod 4'
          : `result must be a Zod schema, but it is ${describe(result)}`,
      );
    } else {
      const converted = convertJsonSchema(result, 'output', isoDate);
      for (const field of converted.unsupported) fail(`result field "${field.path}": ${field.message}`);
      for (const field of converted.lossy) warn(`result field "${field.path}": ${field.message}`);
      resultSchemaHash = sha256(stableJson(converted.jsonSchema));
      resultJsonSchema = converted.jsonSchema;
    }
  }
  if (!ok) return undefined;

  return {
    name,
    typeName: name.charAt(0).toUpperCase() + name.slice(1),
    description: description as string | undefined,
    queue,
    effectiveQueue: queue ?? defaultQueue,
    maxRetries: maxRetries as number | undefined,
    timeout: timeout as number | undefined,
    schedules,
    hasResult: result !== undefined,
    argsSchemaHash,
    resultSchemaHash,
    argsJsonSchema,
    resultJsonSchema,
    location,
  };
}

/** Why `name` cannot name a job, or undefined when it can. */
function checkJobName(name: string): string | undefined {
  if (name === '') return 'a job name must not be empty';
  if (!identifier.test(name)) {
    const suggestion = name.replace(/[^\p{ID_Continue}$]+/gu, '_').replace(/^(?=\P{ID_Start})(?![$_])/u, '_');
    return `job name "${name}" is not a valid JavaScript identifier, so \`enqueue.${name}(...)\` could not be called; use letters, digits, _ and $, not starting with a digit (for example "${suggestion}")`;
  }
  if (name === '__proto__') return 'job name "__proto__" is reserved by JavaScript objects; pick another name';
  if (name === 'then') {
    return 'job name "then" would make the enqueue object look like a promise: `await` or an async return would call the job; pick another name';
  }
  if (name.toLowerCase() === 'index')
    return `job name "${name}" would share its handler file with handlers/index.ts; pick another name`;
  if (windowsDeviceName.test(name))
    return `job name "${name}" cannot name a file on Windows (handlers/${name}.ts); pick another name`;
  return undefined;
}

/**
 * Two names that differ only in case are distinct jobs, but their handler files are one file on a
 * case-insensitive disk (macOS, Windows): one stub would silently stand for both.
 */
function checkNameClashes(
  names: readonly string[],
  jobLocation: (name: string) => SourceLocation,
  problem: (location: SourceLocation, message: string, job?: string) => void,
): void {
  const byFolded = new Map<string, string[]>();
  for (const name of names) {
    const folded = name.toLowerCase();
    byFolded.set(folded, [...(byFolded.get(folded) ?? []), name]);
  }
  for (const group of byFolded.values()) {
    if (group.length < 2) continue;
    const list = [...group]
      .sort(compareStrings)
      .map((name) => `"${name}"`)
      .join(' and ');
    const files = [...group]
      .sort(compareStrings)
      .map((name) => `handlers/${name}.ts`)
      .join(' and ');
    // The first one declared keeps its name; each later one is reported where it is declared.
    for (const name of group.slice(1)) {
      problem(
        jobLocation(name),
        `duplicate job name: ${list} differ only in case, so ${files} would be the same file on case-insensitive disks (macOS, Windows); rename one`,
        name,
      );
    }
  }
}

/** Checks a queue name with the runtime's own rule; returns it when valid. */
function checkQueue(value: unknown, what: string, fail: (message: string) => void): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    fail(`${what} must be a string, but it is ${describe(value)}`);
    return undefined;
  }
  const reasons = queueNameProblems(value);
  if (reasons.length === 0) return value;
  fail(
    `invalid queue name ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)} for ${what}: it ${reasons.join(', ')}`,
  );
  return undefined;
}

function readLocalFiles(loaded: LoadedSchema, cwd: string): Map<string, string> {
  const files = new Map<string, string>([[displayPath(cwd, loaded.path), loaded.sourceText]]);
  for (const file of loaded.localFiles) {
    if (file === loaded.path || !/\.[cm]?[jt]sx?$/.test(file)) continue;
    try {
      files.set(displayPath(cwd, file), readFileSync(file, 'utf8'));
    } catch {
      // A file that vanished since it was imported cannot hold a job's position; skip it.
    }
  }
  return files;
}

function toLocation(position: FoundPosition | undefined): SourceLocation | undefined {
  return position ? { file: position.path, line: position.line, column: position.column } : undefined;
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  // Stable sort by file then line keeps problems of one job together and in source order.
  return [...diagnostics].sort(
    (a, b) => compareStrings(a.location.file, b.location.file) || (a.location.line ?? 0) - (b.location.line ?? 0),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function zodVersion(value: unknown): 3 | 4 | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('_zod' in value) return 4;
  if ('_def' in value && 'safeParse' in value) return 3;
  return undefined;
}

function zodType(value: unknown): string | undefined {
  return (value as { _zod?: { def?: { type?: string } } })._zod?.def?.type;
}

/** A few words on what a value is, for messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  const type = zodType(value);
  if (type !== undefined) return `a Zod ${type} schema`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
