/** Levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type Locale = 'en' | 'zh-CN';
export type LogFields = Record<string, unknown>;

/** What the runtime writes log lines to; any structured logger (pino, winston) fits with a small adapter. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Numeric order of the levels; a line passes when its level is at or above the configured one. */
export const logSeverity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** `pretty` for people, `json` for collectors; `auto` picks `pretty` on a terminal. */
  format?: 'auto' | 'pretty' | 'json';
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Human lines on a terminal, JSON lines otherwise. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const minimum = logSeverity[options.level ?? 'info'];
  const format =
    options.format === 'auto' || options.format === undefined ? (stream.isTTY ? 'pretty' : 'json') : options.format;
  const write = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (logSeverity[level] < minimum) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      stream.write(JSON.stringify({ time, level, msg: message, ...fields }, jsonReplacer) + '\n');
      return;
    }
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields, jsonReplacer) : '';
    stream.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extra}\n`);
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** `zh-CN` when `LANG` (or `LC_ALL`) starts with `zh`, else `en`. */
export function localeFromEnvironment(env: NodeJS.ProcessEnv = process.env): Locale {
  const lang = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return lang.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Replaces the password of an AMQP URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
