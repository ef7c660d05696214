import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageManifest } from 'rabbitmq-arq/internal';

interface GeneratorPackage {
  /** Folder holding the generator's package.json. */
  root: string;
  version: string;
  /** Folder of the Handlebars templates: inside the package when installed, the repository's `templates/` in a checkout. */
  templates: string;
}

let cached: GeneratorPackage | undefined;

/** The `arq-gen` package this module belongs to, found by walking up from it. */
export function packageInfo(): GeneratorPackage {
  if (cached) return cached;
  const { root, version } = findPackageManifest('arq-gen', import.meta.url);
  const packed = join(root, 'templates');
  cached = { root, version, templates: existsSync(packed) ? packed : join(root, '..', 'templates') };
  return cached;
}
