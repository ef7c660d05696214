// Shared by the generator tests: where the golden fixtures are and how each one is generated.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateOptions } from '../../generator/model.js';

export const fixturesFolder = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Fixture {
  name: string;
  folder: string;
  /** Options of the run, paths relative to the fixture's folder (its `cwd`). */
  options: GenerateOptions;
}

/** Every fixture folder; `fixture.json` may override the schema, output and handlers paths. */
export function listFixtures(): Fixture[] {
  return readdirSync(fixturesFolder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const folder = join(fixturesFolder, name);
      const settingsFile = join(folder, 'fixture.json');
      const settings = existsSync(settingsFile)
        ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as Partial<
            Pick<GenerateOptions, 'schema' | 'out' | 'handlers'>
          >)
        : {};
      return {
        name,
        folder,
        options: {
          schema: settings.schema ?? 'jobs.schema.ts',
          out: settings.out ?? 'expected/generated',
          handlers: settings.handlers ?? 'expected/handlers',
          check: false,
          cwd: folder,
        },
      };
    });
}
