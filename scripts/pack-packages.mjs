// Packs the two packages into .tmp/packages/ (or the folder given): rabbitmq-arq-<v>.tgz (runtime and
// operator CLI) and arq-gen-<v>.tgz (the generator). Prints the two tarball paths, one per line, so a
// script can `npm install` them into a fresh project, as CI does.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const destination = resolve(process.argv[2] ?? '.tmp/packages');
mkdirSync(destination, { recursive: true });
execFileSync(process.execPath, ['scripts/build-packages.mjs'], { stdio: 'inherit' });

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pack = (folder) => {
  const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: folder,
    encoding: 'utf8',
  });
  return resolve(destination, JSON.parse(out)[0].filename);
};

// The templates are the repository's top-level templates/; the generator package carries a copy.
cpSync('templates', 'generator/templates', { recursive: true });
try {
  console.log(pack('.'));
  console.log(pack('generator'));
} finally {
  rmSync('generator/templates', { recursive: true, force: true });
}
