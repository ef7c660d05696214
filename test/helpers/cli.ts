/** The two command lines as a user runs them: a real process, in the English locale, with its exit code and both streams. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const operatorMain = new URL('../../cli/main.ts', import.meta.url).pathname;
const generatorMain = new URL('../../generator/main.ts', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `rabbitmq-arq <args>`: the operator CLI of the runtime package. */
export function runRabbitmqArq(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runEntry(operatorMain, args, env);
}

/** `arq-gen <args>`: the generator package's CLI, run in `cwd` (the repository by default). */
export function runArqGen(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return runEntry(generatorMain, args, env, cwd);
}

async function runEntry(main: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, ...args], {
      timeout: 60_000,
      cwd,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as CliRun;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
