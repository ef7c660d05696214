/**
 * The generator's vocabulary: what loading a schema yields, what the model of a schema holds, what
 * rendering returns, and the errors and exit codes of a run. Every other generator module speaks in
 * these terms.
 */

/** Exit codes of `arq-gen generate` (documented; scripts branch on them). */
export const ExitCode = {
  ok: 0,
  stale: 1,
  schemaError: 2,
  refused: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A place in a source file, for messages like `jobs.schema.ts:12:5`. Paths are as shown to the user. */
export interface SourceLocation {
  file: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
}

/** One problem found in a schema file (or, rarely, in what was rendered from it). */
export interface Diagnostic {
  location: SourceLocation;
  /** The job the problem belongs to, when it belongs to one. */
  job?: string;
  message: string;
}

/** Flags of `arq-gen generate`, with paths as the user gave them. */
export interface GenerateOptions {
  /** @defaultValue `jobs.schema.ts` */
  schema: string;
  /** @defaultValue `generated` */
  out: string;
  /** @defaultValue `handlers` */
  handlers: string;
  /** Compare instead of writing. */
  check: boolean;
  /** Folder the paths are relative to, and that messages show paths relative to. */
  cwd: string;
}

/** What `loadSchema` hands over: the schema module's live values, before any validation. */
export interface LoadedSchema {
  /** Absolute path of the schema file. */
  path: string;
  /** Its text, as read before running it. */
  sourceText: string;
  /** The module's default export, whatever it is. */
  definition: unknown;
  /** The `isoDate` codec of the runtime the schema file resolved, when it resolves one. */
  isoDate: unknown;
  /** Absolute paths of the local (non-node_modules) files the schema imported, itself included. */
  localFiles: string[];
}

/** One schedule of a job, as declared, defaults filled in. */
export interface ScheduleModel {
  name: string;
  cron: string;
  tz: string;
  args: Record<string, unknown>;
  catchUp: 'skip' | 'latest';
}

/** One job as the generator sees it. Everything here is plain data, safe to render and compare. */
export interface JobModel {
  /** Verbatim, as on the wire; a valid JavaScript identifier. */
  name: string;
  /** `name` with its first letter upper-cased; prefix of the job's exported type names. */
  typeName: string;
  description: string | undefined;
  /** The job's own `queue`, when it sets one. */
  queue: string | undefined;
  /** The queue the job goes to: its own, else the definition's, else undefined (the client's default). */
  effectiveQueue: string | undefined;
  maxRetries: number | undefined;
  timeout: number | undefined;
  /** Its schedules, checked (cron, time zone, args against the schema). */
  schedules: ScheduleModel[];
  hasResult: boolean;
  /** SHA-256 of the args' JSON Schema (draft-07, input side), with sorted keys. */
  argsSchemaHash: string;
  /** SHA-256 of the result's JSON Schema (draft-07, output side), when there is a result schema. */
  resultSchemaHash: string | undefined;
  /** The args' JSON Schema (draft-07, input side: the wire form producers send), as Zod writes it. */
  argsJsonSchema: Record<string, unknown>;
  /** The result's JSON Schema (draft-07, output side), when there is a result schema. */
  resultJsonSchema: Record<string, unknown> | undefined;
  /** Where the job is declared, for messages. */
  location: SourceLocation;
}

/** A validated schema file plus everything rendering needs to know about the project's layout. */
export interface SchemaModel {
  /** The schema file as shown in headers and messages (relative to the working folder, `/`-separated). */
  schemaDisplayPath: string;
  /** Import specifier of the schema from inside the output folder, e.g. `../jobs.schema.js`. */
  schemaImportFromOut: string;
  /** Import specifier of the output folder from inside the handlers folder, e.g. `../generated`. */
  outImportFromHandlers: string;
  /** The schema file from the output folder, `/`-separated, as recorded in the manifest. */
  schemaPathFromOut: string;
  /** SHA-256 of the schema file's text (line endings normalised to `\n`). */
  schemaHash: string;
  /** The definition's default queue, when it sets one. */
  defaultQueue: string | undefined;
  /** Sorted by name with a locale-independent comparator. */
  jobs: JobModel[];
  /** Problems that do not stop generation (a refinement JSON Schema cannot express), in source order. */
  warnings: Diagnostic[];
  generatorVersion: string;
  /** The command that regenerates this output, for messages (`arq-gen generate` plus non-default flags). */
  command: string;
}

/** Output of rendering: file contents by path, each map sorted by path. */
export interface RenderedFiles {
  /** Files of the output folder, by path relative to it. Owned by the generator. */
  generated: Map<string, string>;
  /** Handler stubs and `index.ts`, by path relative to the handlers folder. Written only when absent. */
  scaffold: Map<string, string>;
}

/** The difference between what was rendered and what is on disk, by path relative to the output folder. */
export interface FileComparison {
  stale: string[];
  missing: string[];
  extra: string[];
}

/** What a generate or check run did, for the CLI to print. */
export interface GenerateReport {
  exitCode: ExitCode;
  /** Lines for stdout. */
  messages: string[];
  /** Lines for stderr. */
  errors: string[];
  /** Lines for stderr that do not change the exit code (lossy JSON Schema, schema changes that dead-letter queued jobs). */
  warnings: string[];
  /** Local files the schema imported (for watch mode); empty when loading failed before any import. */
  watchedFiles: string[];
}

/** The schema file cannot be turned into a model; every problem found is listed. */
export class SchemaError extends Error {
  readonly code = 'SCHEMA_ERROR';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SchemaError';
  }
}

/** The generator will not touch a folder it does not own, or the disk failed it. */
export class RefusedError extends Error {
  readonly code = 'REFUSED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RefusedError';
  }
}

/** `file:line:column: job "x": message`, the shape editors and terminals link. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  return `${formatLocation(diagnostic.location)}: ${jobPrefix(diagnostic)}${diagnostic.message}`;
}

/** `file:line:column: warning: job "x": message`: a problem that does not stop generation. */
export function formatWarning(diagnostic: Diagnostic): string {
  return `${formatLocation(diagnostic.location)}: warning: ${jobPrefix(diagnostic)}${diagnostic.message}`;
}

function formatLocation({ file, line, column }: SourceLocation): string {
  return line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

function jobPrefix(diagnostic: Diagnostic): string {
  return diagnostic.job === undefined ? '' : `job "${diagnostic.job}": `;
}

/** Locale-independent ordering, so output does not depend on the machine's language settings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
