/**
 * What `rabbitmq-arq worker -m path:export` runs: loads the module (TypeScript without a build step) and
 * takes the named export: worker settings (as the generated `workerSettings(...)` returns them), or a
 * bare array of named functions as Python modules export. Anything else fails at once, naming what
 * the module does export.
 */
import { loadExport } from './load-module.js';
import { InvalidModule } from '../runtime/errors.js';
import { Worker } from '../runtime/index.js';
import type { HandlerMap, WorkerSettings } from '../runtime/index.js';

export async function loadWorkerSettings(spec: string, cwd: string): Promise<WorkerSettings> {
  const { value, where } = await loadExport(spec, cwd, 'worker module');
  if (Array.isArray(value)) return { handlers: functionsToHandlers(value, where) };
  if (value instanceof Worker) {
    throw new InvalidModule(
      `${where} is a Worker; export its settings instead (for example \`export const workerSettings = workerSettings(settings, handlers)\` from generated/worker.ts), so flags and ARQ_* variables can apply`,
    );
  }
  if (typeof value !== 'object' || value === null || !('handlers' in value)) {
    throw new InvalidModule(
      `${where} must be worker settings (an object with "handlers") or an array of named functions`,
    );
  }
  return value as WorkerSettings;
}

function functionsToHandlers(functions: unknown[], where: string): HandlerMap {
  const handlers: HandlerMap = {};
  for (const fn of functions) {
    if (typeof fn !== 'function' || fn.name === '')
      throw new InvalidModule(`${where} must hold only named functions (the job name is the function's name)`);
    handlers[fn.name] = fn as HandlerMap[string];
  }
  return handlers;
}

export { parseModuleSpec } from './load-module.js';
