import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageInfo {
  /** Folder holding rabbitmq-arq's package.json (and `templates/`). */
  root: string;
  version: string;
}

let cached: PackageInfo | undefined;

/**
 * Finds rabbitmq-arq's own package folder by walking up from this module. The walk (rather than a
 * fixed `..`) makes the same code work from `generator/` in the repo and `dist/generator/` when installed.
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === 'rabbitmq-arq' && typeof json.version === 'string') {
        cached = { root: folder, version: json.version };
        return cached;
      }
    }
    const parent = dirname(folder);
    if (parent === folder) throw new Error('cannot find the package.json of rabbitmq-arq above ' + import.meta.url);
    folder = parent;
  }
}
