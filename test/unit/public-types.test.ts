// Every type that the public declarations of rabbitmq-arq mention is importable from it: the runtime's
// declarations are emitted (as the package's .d.ts), and each name a public export refers to must be
// an export of runtime/index.ts or come from another package (zod, node, prom-client). A type that is
// public in shape but cannot be imported (once `ScheduleSpec`, `ResolvedWorkerSettings`) fails here.
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
mkdirSync(join(root, '.tmp'), { recursive: true });
const out = mkdtempSync(join(root, '.tmp', 'public-types-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Emits the declarations of `entries` into `out`, as the package build would. */
function emitDeclarations(entries: string[]): void {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options = { ...parsed.options, noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: out };
  options.rootDir = root;
  options.paths = {};
  const program = ts.createProgram(entries, options);
  program.emit(undefined, (file, text) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  });
}

/**
 * Names the public exports of `entries` (.d.ts files) refer to that are declared in `ownDir` and
 * exported by none of the entry points.
 */
function unexportedReferences(entries: string[], ownDir: string): string[] {
  const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, skipLibCheck: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const resolveAlias = (symbol: ts.Symbol) =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const exports = entries.flatMap((entry) => {
    const source = program.getSourceFile(entry);
    assert.ok(source, `${entry} was emitted`);
    return checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map(resolveAlias);
  });
  const exported = new Set(exports);
  const missing = new Set<string>();
  const visited = new Set<ts.Node>();

  const check = (symbol: ts.Symbol | undefined, from: string) => {
    if (!symbol) return;
    const target = resolveAlias(symbol);
    if (target.flags & ts.SymbolFlags.TypeParameter) return;
    const declaration = target.declarations?.[0];
    if (!declaration) return;
    const file = declaration.getSourceFile().fileName;
    if (!file.startsWith(ownDir) || exported.has(target)) return;
    // A member of an exported object is reached through its owner.
    if (target.flags & (ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.EnumMember)) return;
    missing.add(`${target.name} (${relative(ownDir, file)}), used by ${from}`);
  };

  const visit = (node: ts.Node, from: string): void => {
    if (visited.has(node)) return;
    visited.add(node);
    if (ts.isTypeReferenceNode(node)) check(checker.getSymbolAtLocation(node.typeName), from);
    else if (ts.isExpressionWithTypeArguments(node)) check(checker.getSymbolAtLocation(node.expression), from);
    else if (ts.isTypeQueryNode(node)) check(checker.getSymbolAtLocation(node.exprName), from);
    else if (ts.isImportTypeNode(node)) {
      const type = checker.getTypeFromTypeNode(node);
      check(type.aliasSymbol ?? type.getSymbol(), from);
    }
    ts.forEachChild(node, (child) => visit(child, from));
  };

  for (const symbol of exports) for (const declaration of symbol.declarations ?? []) visit(declaration, symbol.name);
  return [...missing].sort();
}

it('every type the public declarations mention can be imported from rabbitmq-arq or rabbitmq-arq/testing', () => {
  const entries = ['runtime/index.ts', 'runtime/testing.ts'];
  emitDeclarations(entries.map((entry) => join(root, entry)));
  const problems = unexportedReferences(
    entries.map((entry) => join(out, entry.replace(/\.ts$/, '.d.ts'))),
    join(out, 'runtime'),
  );
  assert.deepEqual(problems, [], 'export these from runtime/index.ts');
});
