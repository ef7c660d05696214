import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackageManifestMissing } from './errors.js';

/** A package's own folder and version, found from one of its modules. */
export interface PackageManifest {
  root: string;
  version: string;
}

/**
 * Finds the folder of the package called `name` by walking up from `moduleUrl`. The walk (rather than
 * a fixed `..`) makes the same code work from the sources in a checkout and from `dist/` when installed.
 */
export function findPackageManifest(name: string, moduleUrl: string): PackageManifest {
  let folder = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === name && typeof json.version === 'string') return { root: folder, version: json.version };
    }
    const parent = dirname(folder);
    if (parent === folder)
      throw new PackageManifestMissing(`cannot find the package.json of ${name} above ${moduleUrl}`);
    folder = parent;
  }
}
