/**
 * English counts with their noun: `plural(1, 'job')` is "1 job", `plural(3, 'job')` "3 jobs". For
 * the en catalogues only; zh-CN counts take a measure word and no plural.
 */
export function plural(count: number | string | boolean | undefined, noun: string, nounPlural = `${noun}s`): string {
  return `${count} ${Number(count) === 1 ? noun : nounPlural}`;
}
