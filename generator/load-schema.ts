import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { Node, Project, SyntaxKind } from 'ts-morph';
import { findSyntaxErrors } from './check-syntax.js';
import { RefusedError, SchemaError, compareStrings } from './model.js';
import type { Diagnostic, LoadedSchema } from './model.js';
import { displayPath } from './project-paths.js';

/**
 * Runs the user's schema file (TypeScript, no build step) and returns its live default export.
 *
 * Only the live Zod objects can be converted to JSON Schema, so the file is executed, not parsed.
 * Each load uses a fresh tsx namespace: modules are evaluated anew, so watch mode sees edits to the
 * schema and to the files it imports. The runtime's `isoDate` is imported in the same namespace as
 * the schema, so it is the very object the schema's fields hold (identity is how it is recognised).
 *
 * Throws SchemaError (syntax errors, import errors, errors thrown while running) with file and line,
 * or RefusedError when the file cannot be read.
 */
export async function loadSchema(schemaPath: string, cwd: string): Promise<LoadedSchema> {
  const path = resolve(cwd, schemaPath);
  const shown = displayPath(cwd, path);
  let sourceText: string;
  try {
    sourceText = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new RefusedError(`cannot read the schema file ${shown}: ${reason} (pass its path with --schema)`, {
      cause: err,
    });
  }

  // Syntax errors are reported by the TypeScript parser first: its messages and positions are
  // better than what the module loader says, and nothing of the user's code runs.
  const syntaxErrors = findSyntaxErrors(new Map([[shown, sourceText]]));
  if (syntaxErrors.length > 0) {
    throw new SchemaError(
      syntaxErrors.map((problem) => ({
        location: { file: problem.path, line: problem.line, column: problem.column },
        message: `syntax error: ${problem.message}`,
      })),
    );
  }

  const commonJs = commonJsPackageOf(path);
  if (commonJs) {
    // tsx would load the file as CommonJS with its own copy of zod, and every check against the
    // runtime's (ES module) zod would then fail with a misleading message about the first field.
    throw new SchemaError([
      {
        location: { file: shown },
        message: `${displayPath(cwd, commonJs)} makes ${shown} CommonJS, and rabbitmq-arq is an ES module package: add "type": "module" to that package.json (the generated client and worker are ES modules too)`,
      },
    ]);
  }

  const imported = new Set<string>();
  const api = register({
    namespace: `arq-gen-${randomUUID()}`,
    onImport: (url) => {
      if (url.startsWith('file:')) imported.add(fileURLToPath(url.split('?')[0] as string));
    },
  });
  const url = pathToFileURL(path).href;
  try {
    let module: Record<string, unknown>;
    try {
      module = (await api.import(url, import.meta.url)) as Record<string, unknown>;
    } catch (err) {
      throw new SchemaError([describeLoadError(err, path, cwd)]);
    }
    let isoDate: unknown;
    try {
      const runtime = (await api.import('rabbitmq-arq', url)) as Record<string, unknown>;
      isoDate = runtime.isoDate;
    } catch {
      // The schema does not resolve rabbitmq-arq, so none of its fields can be its isoDate.
      isoDate = undefined;
    }
    const localFiles = [...imported]
      .filter((file) => !file.split(/[\\/]/).includes('node_modules'))
      .sort(compareStrings);
    if (!localFiles.includes(path)) localFiles.unshift(path);
    return { path, sourceText, definition: unwrapDefault(module), isoDate, localFiles };
  } finally {
    // Hooks would pile up in watch mode otherwise; the loaded modules stay usable.
    await api.unregister();
  }
}

/** A CommonJS schema arrives as `{ default: module.exports }`, whose own `default` is the definition. */
function unwrapDefault(module: Record<string, unknown>): unknown {
  const value = module.default;
  if (typeof value === 'object' && value !== null && !('jobs' in value) && 'default' in value) {
    return (value as { default: unknown }).default;
  }
  return value;
}

/** Turns whatever the loader threw into one message with the best file and line we can find. */
function describeLoadError(err: unknown, schemaPath: string, cwd: string): Diagnostic {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as NodeJS.ErrnoException).code;
  const schemaShown = displayPath(cwd, schemaPath);

  // esbuild (inside tsx) reports syntax errors of imported files as "<path>:<line>:<col>: ERROR: <text>".
  const transform = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(error.message);
  if (transform) {
    const [, file, line, column, text] = transform as unknown as [string, string, string, string, string];
    return {
      location: { file: displayPath(cwd, file), line: Number(line), column: Number(column) },
      message: `syntax error: ${text}`,
    };
  }

  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    // ESM: "Cannot find module|package 'x' imported from /importer"; CommonJS: "Cannot find module 'x'"
    // followed by a require stack whose first entry is the importer.
    const esm = /Cannot find (?:module|package) '([^']+)' imported from (.+)$/m.exec(error.message);
    const cjs = /Cannot find module '([^']+)'\s*\nRequire stack:\n- (.+)$/m.exec(error.message);
    const match = esm ?? cjs;
    if (match) {
      const missing = match[1] as string;
      const importer = stripQuery(match[2] as string);
      const importerPath = importer.startsWith('file:') ? fileURLToPath(importer) : importer;
      const found = findImport(importerPath, missing);
      return {
        location: { file: displayPath(cwd, importerPath), ...(found ? { line: found.line } : {}) },
        message: `cannot import "${found?.specifier ?? missing}": no such module (check the path and its .js extension, or install the package)`,
      };
    }
  }

  // Node reports missing named exports with the importing file and line on the first stack line.
  const stackTop = /^(\/[^\n:]+|[A-Za-z]:\\[^\n:]+):(\d+)\n/.exec(error.stack ?? '');
  if (error.name === 'SyntaxError' && stackTop) {
    return {
      location: { file: displayPath(cwd, stripQuery(stackTop[1] as string)), line: Number(stackTop[2]) },
      message: error.message,
    };
  }

  // Anything thrown while the schema ran: point at the first frame in a local file.
  const frame = firstLocalFrame(error.stack ?? '');
  if (frame) {
    return {
      location: { file: displayPath(cwd, frame.file), line: frame.line, column: frame.column },
      message: `running the schema file threw ${error.name}: ${error.message}`,
    };
  }
  return { location: { file: schemaShown }, message: `cannot load the schema file: ${error.name}: ${error.message}` };
}

/** The import (or export-from, or dynamic import) in `importer` whose specifier names `missing`. */
function findImport(importer: string, missing: string): { line: number; specifier: string } | undefined {
  let text: string;
  try {
    text = readFileSync(importer, 'utf8');
  } catch {
    return undefined;
  }
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { noLib: true, noResolve: true, types: [] },
  });
  const sourceFile = project.createSourceFile('/importer.ts', text);
  const withoutExtension = (path: string): string => path.replace(/\.[cm]?[jt]sx?$/, '');
  for (const literal of sourceFile.getDescendantsOfKind(SyntaxKind.StringLiteral)) {
    const parent = literal.getParent();
    const isSpecifier =
      Node.isImportDeclaration(parent) ||
      Node.isExportDeclaration(parent) ||
      (Node.isCallExpression(parent) && parent.getExpression().getKind() === SyntaxKind.ImportKeyword);
    if (!isSpecifier) continue;
    const specifier = literal.getLiteralValue();
    const target = specifier.startsWith('.') ? resolve(dirname(importer), specifier) : specifier;
    if (specifier === missing || withoutExtension(target) === withoutExtension(missing)) {
      return { line: sourceFile.getLineAndColumnAtPos(literal.getStart()).line, specifier };
    }
  }
  return undefined;
}

function firstLocalFrame(stack: string): { file: string; line: number; column: number } | undefined {
  // Frames read "    at fn (/path/file.ts:3:7)" or "    at /path/file.ts:3:7"; node:internal frames never match.
  for (const match of stack.matchAll(/^\s*at (?:.*?\()?((?:file:\/\/)?(?:\/|[A-Za-z]:\\)[^\n]*?):(\d+):(\d+)\)?$/gm)) {
    const raw = stripQuery(match[1] as string);
    const file = raw.startsWith('file:') ? fileURLToPath(raw) : raw;
    if (file.split(/[\\/]/).includes('node_modules')) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** tsx adds `?namespace=...` to the URLs of a namespaced load; messages show the plain path. */
function stripQuery(path: string): string {
  return path.replace(/\?[^/\\]*$/, '');
}

/** The package.json that makes a `.ts` file CommonJS (no `"type": "module"`), if one does. */
function commonJsPackageOf(file: string): string | undefined {
  if (!file.endsWith('.ts') || file.endsWith('.d.ts')) return undefined;
  for (let folder = dirname(file); ; folder = dirname(folder)) {
    const manifest = resolve(folder, 'package.json');
    let text: string | undefined;
    try {
      text = readFileSync(manifest, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type === 'module' ? undefined : manifest;
      } catch {
        return undefined;
      }
    }
    if (dirname(folder) === folder) return undefined;
  }
}
