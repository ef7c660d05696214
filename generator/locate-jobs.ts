import { Node, Project, SyntaxKind } from 'ts-morph';
import type { SourceFile } from 'ts-morph';

/** A 1-based line and column in one of the files searched. */
export interface FoundPosition {
  path: string;
  line: number;
  column: number;
}

/** Where the jobs and the definition are declared, so messages can point at the right line. */
export interface JobPositions {
  /** Line of `export default` in the schema file, when there is one. */
  definition: FoundPosition | undefined;
  jobs: Map<string, FoundPosition>;
}

/**
 * Finds each job's property in the schema source (then in the local files it imports, for jobs
 * spread in from elsewhere). A property whose value is an object literal with an `args` key is the
 * best match; any property of that name is the fallback.
 */
export function locateJobs(files: ReadonlyMap<string, string>, names: readonly string[]): JobPositions {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { noLib: true, noResolve: true, types: [] },
  });
  const sourceFiles = [...files].map(([path, text]) => ({
    path,
    sourceFile: project.createSourceFile(`/file${project.getSourceFiles().length}.ts`, text),
  }));
  const jobs = new Map<string, FoundPosition>();
  for (const name of names) {
    const found = findJobProperty(sourceFiles, name, true) ?? findJobProperty(sourceFiles, name, false);
    if (found) jobs.set(name, found);
  }
  const first = sourceFiles[0];
  const exportDefault = first?.sourceFile.getFirstDescendantByKind(SyntaxKind.ExportAssignment);
  const definition = first && exportDefault ? at(first.path, first.sourceFile, exportDefault.getStart()) : undefined;
  return { definition, jobs };
}

function findJobProperty(
  files: readonly { path: string; sourceFile: SourceFile }[],
  name: string,
  requireArgs: boolean,
): FoundPosition | undefined {
  for (const { path, sourceFile } of files) {
    for (const node of sourceFile.getDescendantsOfKind(SyntaxKind.PropertyAssignment)) {
      if (propertyName(node.getNameNode()) !== name) continue;
      const initializer = node.getInitializer();
      const isJob = Node.isObjectLiteralExpression(initializer) && initializer.getProperty('args') !== undefined;
      if (requireArgs && !isJob) continue;
      return at(path, sourceFile, node.getStart());
    }
    if (requireArgs) continue;
    for (const node of sourceFile.getDescendantsOfKind(SyntaxKind.ShorthandPropertyAssignment)) {
      if (node.getName() === name) return at(path, sourceFile, node.getStart());
    }
  }
  return undefined;
}

/** The name a property key stands for: `a`, `'a'` and `"a"` all give `a`; computed keys give undefined. */
function propertyName(node: Node): string | undefined {
  if (Node.isIdentifier(node) || Node.isPrivateIdentifier(node)) return node.getText();
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  return undefined;
}

function at(path: string, sourceFile: SourceFile, offset: number): FoundPosition {
  const { line, column } = sourceFile.getLineAndColumnAtPos(offset);
  return { path, line, column };
}
