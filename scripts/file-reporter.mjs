// A node:test reporter for CI logs: one line per test file (`✔ test/unit/x.test.ts (12 tests, 85 ms)`),
// every failure in full (the test's path, the error with its diff and stack, then what the file wrote
// to stdout and stderr), and node's own closing summary lines (`# tests N`, `# pass N`, `# fail N`, ...)
// exactly as the tap and spec reporters print them, since CI reads those.
//
//   node --test --test-reporter=./scripts/file-reporter.mjs --test-reporter-destination=stdout ...
//
// Node 20 runs each file in its own process and reports the file itself as a test named by its path,
// completed once that process has exited, after the file's own tests.
import { relative } from 'node:path';
import { inspect } from 'node:util';

/** What one file has reported so far. */
function newFile() {
  return {
    tests: 0,
    failed: 0,
    skipped: 0,
    names: [],
    failures: [],
    output: [],
    crashed: undefined,
    /** `{ passed, error, duration }` once the file's process has ended. */
    completed: undefined,
    /** Every start, pass and fail of the file has been reported. */
    reported: false,
    printed: false,
  };
}

/** The error a failed test reports: the assertion (with its diff and stack) rather than node's wrapper. */
function describeError(error) {
  if (error === undefined || error === null) return 'failed';
  const cause = error.cause;
  if (typeof cause === 'object' && cause !== null) return inspect(cause, { depth: 4 });
  const message = typeof cause === 'string' ? cause : error.message;
  return error.failureType ? `${error.failureType}: ${message}` : inspect(error, { depth: 4 });
}

function indent(text, by) {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : by + line))
    .join('\n');
}

function fileLine(path, file, durationMs) {
  const parts = [`${file.tests} test${file.tests === 1 ? '' : 's'}`];
  if (file.failed > 0) parts.push(`${file.failed} failed`);
  if (file.skipped > 0) parts.push(`${file.skipped} skipped`);
  parts.push(`${Math.round(durationMs)} ms`);
  const bad = file.failed > 0 || file.crashed !== undefined || file.failures.length > 0;
  let text = `${bad ? '✖' : '✔'} ${relative(process.cwd(), path) || path} (${parts.join(', ')})\n`;
  for (const failure of file.failures) text += `  ✖ ${failure.path}\n${indent(failure.error, '    ')}\n`;
  if (file.crashed !== undefined) text += `  ✖ the file itself failed\n${indent(file.crashed, '    ')}\n`;
  if (bad && file.output.length > 0) text += `  --- what the file wrote ---\n${indent(file.output.join(''), '  ')}\n`;
  return text;
}

export default async function* fileReporter(source) {
  const files = new Map();
  const fileOf = (path) => {
    let file = files.get(path);
    if (file === undefined) files.set(path, (file = newFile()));
    return file;
  };
  // Two clocks: `test:complete` comes when a file's process ends, while start, pass and fail come in
  // report order, file after file. A file's line waits for both: its end, and the next file's report.
  let reporting;
  const finished = (path) => {
    const file = fileOf(path);
    if (file.printed || !file.reported || file.completed === undefined) return '';
    file.printed = true;
    const { passed, error, duration } = file.completed;
    // Failures inside the file are already listed; a file that failed otherwise (it threw at load
    // time, or exited non-zero) gets its own entry, with what it wrote below.
    if (passed === false && file.failed === 0 && file.failures.length === 0) file.crashed = describeError(error);
    return fileLine(path, file, duration);
  };
  const reportedUpTo = (path) => {
    if (path === reporting) return '';
    const previous = reporting;
    reporting = path;
    if (previous === undefined) return '';
    fileOf(previous).reported = true;
    return finished(previous);
  };

  for await (const event of source) {
    const data = event.data ?? {};
    const isFileItself = data.file !== undefined && data.name === data.file && data.nesting === 0;
    const reportOrder = ['test:start', 'test:pass', 'test:fail', 'test:plan', 'test:diagnostic'].includes(event.type);
    if (reportOrder && data.file !== undefined) {
      const line = reportedUpTo(data.file);
      if (line) yield line;
    }
    switch (event.type) {
      case 'test:start':
        if (data.file !== undefined && !isFileItself) fileOf(data.file).names[data.nesting] = data.name;
        break;
      case 'test:pass':
      case 'test:fail': {
        if (data.file === undefined || isFileItself || data.details?.type === 'suite') {
          // A suite that failed by itself (a hook) is a failure of its own; "subtests failed" is only a sum.
          const error = data.details?.error;
          if (event.type === 'test:fail' && !isFileItself && data.file !== undefined) {
            if (error?.failureType !== 'subtestsFailed') recordFailure(fileOf(data.file), data);
          }
          break;
        }
        const file = fileOf(data.file);
        file.tests += 1;
        if (data.skip !== undefined || data.todo !== undefined) file.skipped += 1;
        if (event.type === 'test:fail') {
          file.failed += 1;
          recordFailure(file, data);
        }
        break;
      }
      case 'test:complete':
        if (isFileItself) {
          const { passed, error, duration_ms: duration = 0 } = data.details ?? {};
          fileOf(data.file).completed = { passed, error, duration };
          const line = finished(data.file);
          if (line) yield line;
        }
        break;
      case 'test:stdout':
      case 'test:stderr':
        if (data.file !== undefined) fileOf(data.file).output.push(data.message);
        else yield data.message;
        break;
      case 'test:plan':
      case 'test:diagnostic':
        if (data.file === undefined && data.nesting === 0) {
          // The run is over: every file has reported.
          for (const [path, file] of files) {
            file.reported = true;
            const line = finished(path);
            if (line) yield line;
          }
          // The closing summary (tests, suites, pass, fail, cancelled, skipped, todo, duration_ms).
          if (event.type === 'test:diagnostic') yield `# ${data.message}\n`;
        }
        break;
      default:
        break;
    }
  }
  // A file whose end was never reported (the runner was interrupted) still gets its line.
  for (const [path, file] of files) {
    if (file.printed) continue;
    file.reported = true;
    file.completed ??= { passed: undefined, error: undefined, duration: 0 };
    yield finished(path);
  }
}

function recordFailure(file, data) {
  const path = [...file.names.slice(0, data.nesting), data.name].filter((name) => name !== undefined).join(' › ');
  file.failures.push({ path, error: describeError(data.details?.error) });
}
