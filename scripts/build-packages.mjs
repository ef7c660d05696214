// Builds both packages of the repository: the runtime package (runtime/ and the operator CLI cli/ into
// dist/) and then the generator package (generator/ into generator/dist/), which compiles against the
// runtime's declarations just built, as it will against an installed rabbitmq-arq.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (project) => execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
rmSync('generator/dist', { recursive: true, force: true });
run('tsconfig.build.json');
run('generator/tsconfig.build.json');
for (const bin of ['dist/cli/main.js', 'generator/dist/main.js']) chmodSync(bin, 0o755);
