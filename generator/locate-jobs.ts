import { ts } from 'ts-morph';

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
 * best match; any property of that name is the fallback. Uses the bare TypeScript parser that
 * ts-morph bundles: one walk per file, no wrapper objects, so a 200-job schema stays fast.
 */
export function locateJobs(files: ReadonlyMap<string, string>, names: readonly string[]): JobPositions {
  const wanted = new Set(names);
  const withArgs = new Map<string, FoundPosition>();
  const anyProperty = new Map<string, FoundPosition>();
  let definition: FoundPosition | undefined;
  for (const [index, [path, text]] of [...files].entries()) {
    const sourceFile = ts.createSourceFile(`/file${index}.ts`, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (index === 0 && definition === undefined && ts.isExportAssignment(node))
        definition = at(path, sourceFile, node);
      let name: string | undefined;
      let isJob = false;
      if (ts.isPropertyAssignment(node)) {
        name = propertyName(node.name);
        isJob =
          ts.isObjectLiteralExpression(node.initializer) &&
          node.initializer.properties.some(
            (property) => property.name !== undefined && propertyName(property.name) === 'args',
          );
      } else if (ts.isShorthandPropertyAssignment(node)) {
        name = node.name.text;
      }
      if (name !== undefined && wanted.has(name)) {
        if (isJob && !withArgs.has(name)) withArgs.set(name, at(path, sourceFile, node));
        if (!anyProperty.has(name)) anyProperty.set(name, at(path, sourceFile, node));
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  const jobs = new Map<string, FoundPosition>();
  for (const name of names) {
    const found = withArgs.get(name) ?? anyProperty.get(name);
    if (found) jobs.set(name, found);
  }
  return { definition, jobs };
}

/** The name a property key stands for: `a`, `'a'`, `"a"` and `['a']` all give `a`; other computed keys give undefined. */
function propertyName(name: ts.PropertyName): string | undefined {
  if (
    ts.isIdentifier(name) ||
    ts.isPrivateIdentifier(name) ||
    ts.isStringLiteral(name) ||
    ts.isNoSubstitutionTemplateLiteral(name)
  ) {
    return name.text;
  }
  if (
    ts.isComputedPropertyName(name) &&
    (ts.isStringLiteral(name.expression) || ts.isNoSubstitutionTemplateLiteral(name.expression))
  ) {
    return name.expression.text;
  }
  return undefined;
}

function at(path: string, sourceFile: ts.SourceFile, node: ts.Node): FoundPosition {
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { path, line: line + 1, column: character + 1 };
}
