/**
 * What `arq-gen worker -m path:export` runs: loads the module (TypeScript without a build step) and
 * takes the named export: worker settings (as the generated `workerSettings(...)` returns them), or a
 * bare array of named functions as Python modules export. Anything else fails at once, naming what
 * the module does export.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { Worker } from '../runtime/index.js';
import type { HandlerMap, WorkerSettings } from '../runtime/index.js';

/** `./workers.ts:workerSettings` → file and export name (default export when no name is given). */
export function parseModuleSpec(spec: string): { file: string; exportName: string } {
  const colon = spec.lastIndexOf(':');
  // A Windows drive letter (C:\...) is not an export separator.
  if (colon > 1) return { file: spec.slice(0, colon), exportName: spec.slice(colon + 1) || 'default' };
  return { file: spec, exportName: 'default' };
}

export async function loadWorkerSettings(spec: string, cwd: string): Promise<WorkerSettings> {
  const { file, exportName } = parseModuleSpec(spec);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new Error(`worker module not found: ${path} (give -m path/to/module.ts:exportName)`);
  let module: Record<string, unknown>;
  try {
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`worker module ${file} failed to load: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  // tsx may wrap a CommonJS-shaped module's exports in `default`.
  const value = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
  const where = `${file}:${exportName}`;
  if (value === undefined) {
    const names = Object.keys(module).filter((name) => name !== 'default' || module.default !== undefined);
    throw new Error(
      `${file} has no export "${exportName}"; it exports ${names.length > 0 ? names.join(', ') : 'nothing'} (give -m ${file}:<one of them>)`,
    );
  }
  if (Array.isArray(value)) return { handlers: functionsToHandlers(value, where) };
  if (value instanceof Worker) {
    throw new Error(
      `${where} is a Worker; export its settings instead (for example \`export const workerSettings = workerSettings(settings, handlers)\` from generated/worker.ts), so flags and ARQ_* variables can apply`,
    );
  }
  if (typeof value !== 'object' || value === null || !('handlers' in value)) {
    throw new Error(`${where} must be worker settings (an object with "handlers") or an array of named functions`);
  }
  return value as WorkerSettings;
}

function functionsToHandlers(functions: unknown[], where: string): HandlerMap {
  const handlers: HandlerMap = {};
  for (const fn of functions) {
    if (typeof fn !== 'function' || fn.name === '')
      throw new Error(`${where} must hold only named functions (the job name is the function's name)`);
    handlers[fn.name] = fn as HandlerMap[string];
  }
  return handlers;
}
