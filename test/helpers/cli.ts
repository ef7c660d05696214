/** `arq-gen` as a user runs it: a real process, in the English locale, with its exit code and both streams. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const main = new URL('../../cli/main.ts', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runArqGen(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, ...args], {
      timeout: 60_000,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as CliRun;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
