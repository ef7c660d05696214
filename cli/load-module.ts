/** Loads a user's module (TypeScript without a build step) and picks an export, or says which exist. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TsxApi from 'tsx/esm/api';
import { InvalidModule, TypeScriptLoaderMissing } from '../runtime/errors.js';

/** `./workers.ts:workerSettings` → file and export name (default export when no name is given). */
export function parseModuleSpec(spec: string): { file: string; exportName: string } {
  const colon = spec.lastIndexOf(':');
  // A Windows drive letter (C:\...) is not an export separator.
  if (colon > 1) return { file: spec.slice(0, colon), exportName: spec.slice(colon + 1) || 'default' };
  return { file: spec, exportName: 'default' };
}

/** The named export of `spec`; fails with one line naming the path tried or the exports found. */
export async function loadExport(spec: string, cwd: string, what: string): Promise<{ value: unknown; where: string }> {
  const { file, exportName } = parseModuleSpec(spec);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new InvalidModule(`${what} not found: ${path} (give -m path/to/module.ts:exportName)`);
  let module: Record<string, unknown>;
  try {
    module = await importModule(path);
  } catch (err) {
    if (err instanceof TypeScriptLoaderMissing) throw err;
    throw new InvalidModule(`${what} ${file} failed to load: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  // tsx may wrap a CommonJS-shaped module's exports in `default`.
  const value = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
  if (value === undefined) {
    const names = Object.keys(module).filter((name) => name !== 'default' || module.default !== undefined);
    throw new InvalidModule(
      `${file} has no export "${exportName}"; it exports ${names.length > 0 ? names.join(', ') : 'nothing'} (give -m ${file}:<one of them>)`,
    );
  }
  return { value, where: `${file}:${exportName}` };
}

const typeScriptFile = /\.[cm]?tsx?$/;

/**
 * Imports a module: JavaScript with Node's own loader, TypeScript through tsx. tsx is loaded only
 * here, so a worker started on built JavaScript never pays for esbuild.
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  if (!typeScriptFile.test(path)) return (await import(url)) as Record<string, unknown>;
  let tsx: typeof TsxApi;
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    throw new TypeScriptLoaderMissing(
      `${path} is TypeScript: install tsx to load it without a build step (npm install tsx), or give the built .js module`,
      { cause: err },
    );
  }
  return (await tsx.tsImport(url, import.meta.url)) as Record<string, unknown>;
}
