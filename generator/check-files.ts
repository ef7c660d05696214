import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from './model.js';
import type { FileComparison } from './model.js';

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
