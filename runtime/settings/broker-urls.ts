/**
 * The broker's nodes as settings give them: one URL, a comma-separated list (`AMQP_URL`, `-u/--url`,
 * every command's flags), or an array of either. This is the one parser every entry point uses, and
 * the one place that checks a list: every node of a cluster takes the same vhost and credentials, so
 * a list whose URLs disagree is refused at construction instead of failing over to the wrong vhost.
 */
import { InvalidSettings } from '../errors.js';
import { redactUrl } from '../logger.js';

/** One URL, several separated by commas, or an array of such strings. */
export type BrokerUrls = string | readonly string[];

/**
 * The URLs in order, each trimmed, empty entries dropped. A comma inside a URL (in a password, say)
 * must be written `%2C`.
 */
export function splitBrokerUrls(input: BrokerUrls): string[] {
  const parts = typeof input === 'string' ? [input] : input;
  return parts.flatMap((part) => part.split(',')).flatMap((url) => (url.trim() === '' ? [] : [url.trim()]));
}

/** Every problem of a list of broker URLs, one line each; empty when the list is usable. */
export function brokerUrlProblems(urls: readonly string[]): string[] {
  if (urls.length === 0) return ['no broker URL given'];
  const problems: string[] = [];
  // In a list, each problem names its entry (password hidden, text otherwise as given).
  const which = (url: string): string =>
    urls.length > 1 ? `${url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')}: ` : '';
  for (const url of urls) {
    if (!/^(amqps?|memory):\/\//.test(url))
      problems.push(`${which(url)}must start with amqp://, amqps:// or memory:// (in-process)`);
    else if (!URL.canParse(url)) problems.push(`${which(url)}is not a valid URL`);
  }
  if (problems.length > 0) return problems;
  if (urls.length > 1 && urls.some((url) => url.startsWith('memory://')))
    return ['memory:// is one in-process broker: give it alone, not in a list of nodes'];
  const first = new URL(urls[0]!);
  for (const url of urls.slice(1)) {
    const other = new URL(url);
    const differs = [
      vhostOf(other) !== vhostOf(first) && 'vhost',
      other.username !== first.username && 'user name',
      other.password !== first.password && 'password',
    ].filter(Boolean);
    if (differs.length > 0)
      problems.push(
        `${redactUrl(url)} and ${redactUrl(urls[0]!)} differ in ${differs.join(' and ')}; every node of a cluster takes the same vhost and credentials`,
      );
  }
  return problems;
}

/**
 * A flag's or variable's text as a list of URLs (`source` names it in the error), every problem in
 * one `InvalidSettings`.
 */
export function parseBrokerUrls(text: string, source: string): string[] {
  const urls = splitBrokerUrls(text);
  const problems = brokerUrlProblems(urls);
  if (problems.length > 0) throw new InvalidSettings(`${source}: ${problems.join('; ')}`);
  return urls;
}

/** The vhost a URL names, as RabbitMQ and its management API spell it (`/` when the URL names none). */
export function vhostOf(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/';
}

/** The list as one line for logs and errors: each URL without its password, separated by commas. */
export function displayBrokerUrls(urls: readonly string[]): string {
  return urls.map((url) => redactUrl(url)).join(',');
}
