import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from './model.js';
import type { FileComparison } from './model.js';
import { manifestFile } from './render-files.js';
import type { Manifest } from './render-files.js';
import { argsSchemaFile, schemasFolder } from './render-json-schemas.js';
import type { PreviousOutput } from './schema-evolution.js';

/**
 * Compares rendered files with an output folder on disk, byte for byte. Reads only. Files whose
 * name starts with a dot (`.gitkeep`, `.DS_Store`) are not the generator's and are ignored.
 */
export function compareWithDisk(rendered: ReadonlyMap<string, string>, folder: string): FileComparison {
  const onDisk = listFiles(folder);
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [path, content] of rendered) {
    if (!onDisk.has(path)) missing.push(path);
    else if (readFileSync(join(folder, path), 'utf8') !== content) stale.push(path);
  }
  const extra = [...onDisk].filter((path) => !rendered.has(path));
  return {
    stale: stale.sort(compareStrings),
    missing: missing.sort(compareStrings),
    extra: extra.sort(compareStrings),
  };
}

/** Paths (relative, `/`-separated) of the files below `folder`, skipping dot-files; empty when it does not exist. */
export function listFiles(folder: string): Set<string> {
  const files = new Set<string>();
  const walk = (relative: string): void => {
    let entries;
    try {
      entries = readdirSync(join(folder, relative), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.add(path);
    }
  };
  walk('');
  return files;
}

/** True when nothing in a comparison differs. */
export function isUpToDate(comparison: FileComparison): boolean {
  return comparison.stale.length === 0 && comparison.missing.length === 0 && comparison.extra.length === 0;
}

/**
 * What the last run left in an output folder, for schema evolution: each job's queue and args schema
 * hash from its manifest, and its args JSON Schema from `schemas/<job>.args.json`. Reads only; read
 * before anything is overwritten. A folder without our manifest (first run) has no jobs.
 */
export function readPreviousOutput(folder: string): PreviousOutput {
  const jobs: PreviousOutput['jobs'] = new Map();
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(readFileSync(join(folder, manifestFile), 'utf8')) as Partial<Manifest>;
  } catch {
    return { jobs };
  }
  if (manifest.generator?.name !== 'arq-gen' || typeof manifest.jobs !== 'object' || manifest.jobs === null) {
    return { jobs };
  }
  for (const [name, entry] of Object.entries(manifest.jobs)) {
    let argsJsonSchema: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(readFileSync(join(folder, schemasFolder, argsSchemaFile({ name })), 'utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        argsJsonSchema = parsed as Record<string, unknown>;
    } catch {
      // Written by an arq-gen without JSON Schema output, or removed by hand: nothing to compare with.
    }
    jobs.set(name, {
      queue: typeof entry?.queue === 'string' ? entry.queue : undefined,
      argsSchemaHash: typeof entry?.argsSchemaHash === 'string' ? entry.argsSchemaHash : undefined,
      argsJsonSchema,
    });
  }
  return { jobs };
}
