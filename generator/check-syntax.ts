import { Project } from 'ts-morph';
import type { DiagnosticMessageChain, SourceFile } from 'ts-morph';
import type { Diagnostic, RenderedFiles, SchemaModel } from './model.js';
import { renderFiles } from './render-files.js';

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
 * Syntax-checks every rendered `.ts` file. When something does not parse, each job is rendered on
 * its own to find the jobs whose values trip a template, and each error is reported at that job's
 * line in the schema file; an error no single job causes is a template bug and is reported as such.
 */
export function findRenderedSyntaxErrors(
  rendered: RenderedFiles,
  model: SchemaModel,
  folders: { out: string; handlers: string },
): Diagnostic[] {
  const problems = syntaxProblems(rendered, folders);
  if (problems.length === 0) return [];
  const describe = (problem: SyntaxProblem): string =>
    `generated ${problem.path}:${problem.line}:${problem.column} does not parse: ${problem.message} (a bug in arq-gen or a template; please report it)`;
  const diagnostics: Diagnostic[] = [];
  for (const job of model.jobs) {
    const alone = syntaxProblems(renderFiles({ ...model, jobs: [job] }, folders.handlers), folders);
    for (const problem of alone)
      diagnostics.push({ location: job.location, job: job.name, message: describe(problem) });
  }
  if (diagnostics.length > 0) return diagnostics;
  return problems.map((problem) => ({ location: { file: model.schemaDisplayPath }, message: describe(problem) }));
}

function syntaxProblems(rendered: RenderedFiles, folders: { out: string; handlers: string }): SyntaxProblem[] {
  const files = new Map<string, string>();
  for (const [path, text] of rendered.generated) if (path.endsWith('.ts')) files.set(`${folders.out}/${path}`, text);
  for (const [path, text] of rendered.scaffold)
    if (path.endsWith('.ts')) files.set(`${folders.handlers}/${path}`, text);
  return findSyntaxErrors(files);
}
