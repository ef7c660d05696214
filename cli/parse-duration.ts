/**
 * CLI duration flags: `300`, `300s`, `5m`, `1h`, `250ms`. A bare number is seconds, as in the Python
 * original's CLI; the API itself always takes milliseconds.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: use e.g. 300 (seconds), 300s, 5m, 1h or 250ms`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(value * factor);
}
