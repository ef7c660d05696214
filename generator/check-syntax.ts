import { Project } from 'ts-morph';
import type { DiagnosticMessageChain, SourceFile } from 'ts-morph';
import type { Diagnostic, JobModel, RenderedFiles, SchemaModel } from './model.js';

/** One syntax error in a TypeScript text. */
export interface SyntaxProblem {
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

/** Parses each text as TypeScript (no type checking, no module resolution) and returns its syntax errors. */
export function findSyntaxErrors(files: ReadonlyMap<string, string>): SyntaxProblem[] {
  // An in-memory project without lib files: parsing needs nothing else, and it stays fast.
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { noLib: true, noResolve: true, types: [] },
  });
  const sourceFiles = [...files].map(([path, text]) =>
    project.createSourceFile(toVirtualPath(path), text, { overwrite: true }),
  );
  const program = project.getProgram();
  const problems: SyntaxProblem[] = [];
  for (const [index, sourceFile] of sourceFiles.entries()) {
    const path = [...files.keys()][index] as string;
    for (const diagnostic of program.getSyntacticDiagnostics(sourceFile)) {
      const { line, column } = position(sourceFile, diagnostic.getStart() ?? 0);
      problems.push({ path, line, column, message: messageText(diagnostic.getMessageText()) });
    }
  }
  return problems;
}

function position(sourceFile: SourceFile, offset: number): { line: number; column: number } {
  const { line, column } = sourceFile.getLineAndColumnAtPos(offset);
  return { line, column };
}

function messageText(text: string | DiagnosticMessageChain): string {
  return typeof text === 'string' ? text : text.getMessageText();
}

/** Virtual files need an absolute `.ts` path; the real path is kept for messages. */
function toVirtualPath(path: string): string {
  const normalised = path.replace(/\\/g, '/');
  const absolute = normalised.startsWith('/') ? normalised : '/' + normalised;
  return /\.[cm]?tsx?$/.test(absolute) ? absolute : absolute + '.ts';
}

/**
 * Syntax-checks every rendered `.ts` file. Each error is blamed on the job whose name is nearest
 * above the error in the rendered text, and reported at that job's line in the schema file, since a
 * schema value (a description, a name) is what a correct template can trip over.
 */
export function findRenderedSyntaxErrors(
  rendered: RenderedFiles,
  model: SchemaModel,
  folders: { out: string; handlers: string },
): Diagnostic[] {
  const files = new Map<string, string>();
  for (const [path, text] of rendered.generated) if (path.endsWith('.ts')) files.set(`${folders.out}/${path}`, text);
  for (const [path, text] of rendered.scaffold)
    if (path.endsWith('.ts')) files.set(`${folders.handlers}/${path}`, text);
  const longestFirst = [...model.jobs].sort((a, b) => b.name.length - a.name.length);
  return findSyntaxErrors(files).map((problem) => {
    const lines = (files.get(problem.path) ?? '').split('\n');
    let job: JobModel | undefined;
    for (let index = problem.line - 1; index >= 0 && !job; index--) {
      const line = lines[index] ?? '';
      job = longestFirst.find((candidate) =>
        new RegExp(`(^|[^\\p{ID_Continue}$])${escapeRegExp(candidate.name)}($|[^\\p{ID_Continue}$])`, 'u').test(line),
      );
    }
    const message = `generated ${problem.path}:${problem.line}:${problem.column} does not parse: ${problem.message} (a bug in arq-gen or a template; please report it)`;
    return job
      ? { location: job.location, job: job.name, message }
      : { location: { file: model.schemaDisplayPath }, message };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
