/**
 * Settings given as text (command-line flags and `ARQ_*` variables) parsed to what the API takes.
 * `source` names the flag or variable, so a bad value says where it came from.
 */
import { InvalidSettings } from '../errors.js';
import type { LogLevel } from '../logger.js';

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * `300`, `300s`, `5m`, `1h`, `250ms`, `1.5s` → milliseconds. A bare number is seconds, as in the
 * Python original's CLI and settings; the API itself always takes milliseconds.
 */
export function parseDuration(text: string, source = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) {
    throw new InvalidSettings(`${source}: "${text}" is not a duration; use e.g. 300 (seconds), 300s, 5m, 1h or 250ms`);
  }
  return Math.round(Number(match[1]) * durationUnits[(match[2] ?? 's').toLowerCase()]!);
}

export function parseWholeNumber(text: string, source: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidSettings(`${source}: "${text}" is not a whole number`);
  return Number(text);
}

export function parseSwitch(text: string, source: string): boolean {
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw new InvalidSettings(`${source}: "${text}" is not a switch; use true or false`);
}

const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function parseLogLevel(text: string, source: string): LogLevel {
  const value = text.trim().toLowerCase() as LogLevel;
  if (!logLevels.includes(value))
    throw new InvalidSettings(`${source}: "${text}" is not one of ${logLevels.join(', ')}`);
  return value;
}
