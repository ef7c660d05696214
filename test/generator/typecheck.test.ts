// The generated code compiles as it is in a strict user project: one TypeScript program over every
// golden fixture (schema, generated files, handler stubs), the repo's own demo and the type tests of
// test/types (whose `@ts-expect-error` lines prove that wrong calls are rejected).
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';
import { fixturesFolder, repoRoot } from './fixtures.js';

/** The settings of a strict NodeNext project, stricter than this repo's own where users may be. */
const userProjectOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  skipLibCheck: true,
  noEmit: true,
  // In a user's project the package resolves from node_modules; here it is the runtime's source.
  paths: { 'rabbitmq-arq': [join(repoRoot, 'runtime/index.ts')] },
};

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.ts$/.test(path))
    .map((path) => join(folder, path));
}

it('every fixture, its output, the demo and the type tests compile in a strict NodeNext project', () => {
  const rootNames = [
    ...typeScriptFiles(fixturesFolder),
    ...typeScriptFiles(join(repoRoot, 'test/types')),
    join(repoRoot, 'jobs.schema.ts'),
    ...typeScriptFiles(join(repoRoot, 'generated')),
    ...typeScriptFiles(join(repoRoot, 'handlers')),
  ];
  const program = ts.createProgram({ rootNames, options: userProjectOptions });
  const runtimeFolder = join(repoRoot, 'runtime');
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    // The runtime's own sources are compiled with the repo's settings; users see its declarations.
    .filter((diagnostic) => !diagnostic.file || !diagnostic.file.fileName.startsWith(runtimeFolder));
  const report = diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return message;
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${relative(repoRoot, diagnostic.file.fileName)}:${line + 1}:${character + 1}: ${message}`;
  });
  assert.deepEqual(report, []);
  // The type tests must really be part of the program.
  assert.ok(program.getSourceFile(join(repoRoot, 'test/types/generated-api.types.ts')));
});
