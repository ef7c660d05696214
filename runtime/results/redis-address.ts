/**
 * The `resultStore` URL: one Redis, a Sentinel group, or a Redis Cluster. One parser for the
 * setting, `ARQ_RESULT_STORE` and every `--result-store` flag, and one redaction for every line
 * that prints it.
 *
 * - `redis://[[user]:password@]host:6379[/db]`, `rediss://…`: one Redis (ioredis parses it).
 * - `redis-sentinel://[[user]:password@]host1:26379,host2:26379/<masterName>[?db=0&sentinelPassword=…]`:
 *   the sentinels to ask for the master of `<masterName>`; the password is the master's (and its
 *   replicas'), `sentinelPassword` the sentinels' own when they have one.
 * - `redis-cluster://[[user]:password@]host1:7000,host2:7001`: some nodes of a cluster; the client
 *   learns the others from them. A cluster has database 0 only.
 */
import { InvalidSettings } from '../errors.js';
import { redactUrl } from '../logger.js';

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisAddress =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      /** The name the sentinels monitor the master under. */
      name: string;
      db: number;
      username: string | undefined;
      password: string | undefined;
      sentinelPassword: string | undefined;
    }
  | { kind: 'cluster'; nodes: RedisNode[]; username: string | undefined; password: string | undefined };

const FORMS = 'must be a redis://, rediss://, redis-sentinel:// or redis-cluster:// URL';
const SENTINEL_EXAMPLE = 'redis-sentinel://host1:26379,host2:26379/mymaster';
const CLUSTER_EXAMPLE = 'redis-cluster://host1:7000,host2:7001';
const MULTI = /^(redis-sentinel|redis-cluster):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;

/** What is wrong with a result store URL, in plain words; `undefined` when it is fine. */
export function redisAddressProblem(url: string): string | undefined {
  const parsed = parse(url);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** The parsed URL; throws `InvalidSettings` naming the setting when it is not one of the three forms. */
export function parseRedisAddress(url: string): RedisAddress {
  const parsed = parse(url);
  if (typeof parsed === 'string') throw new InvalidSettings(`invalid result store settings: resultStore: ${parsed}`);
  return parsed;
}

/** The URL with every password replaced by `***`, for log lines and errors. */
export function redactRedisUrl(url: string): string {
  const multi = MULTI.exec(url);
  if (!multi) return redactUrl(url);
  const [, scheme, userinfo, hosts, path = '', query] = multi;
  const user = userinfo === undefined ? '' : `${userinfo.includes(':') ? `${userinfo.split(':')[0]}:***` : userinfo}@`;
  const params = query === undefined ? '' : `?${query.replace(/(^|&)(sentinelPassword=)[^&]*/g, '$1$2***')}`;
  return `${scheme}://${user}${hosts}${path}${params}`;
}

function parse(url: string): RedisAddress | string {
  if (/^rediss?:\/\//.test(url))
    return URL.canParse(url) ? { kind: 'single', url } : `${FORMS}; this one does not parse`;
  const multi = MULTI.exec(url);
  if (!multi) return FORMS;
  const [, scheme, userinfo, hostList = '', path = '', query = ''] = multi;
  const sentinel = scheme === 'redis-sentinel';
  const example = sentinel ? SENTINEL_EXAMPLE : CLUSTER_EXAMPLE;
  const nodes: RedisNode[] = [];
  for (const entry of hostList.split(',')) {
    const node = parseNode(entry.trim(), sentinel ? 26379 : 6379);
    if (!node) return `"${entry}" is not host:port (${example})`;
    nodes.push(node);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
    username = user === '' ? undefined : user;
    password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1));
  }
  const params = new URLSearchParams(query);
  const allowed = sentinel ? ['db', 'sentinelPassword'] : [];
  const unknown = [...params.keys()].filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    return `unknown parameter(s) ${unknown.map((key) => `"${key}"`).join(', ')} (${sentinel ? 'a sentinel URL takes db and sentinelPassword' : 'a cluster URL takes none'})`;
  if (!sentinel) {
    if (path !== '' && path !== '/') return `a cluster has database 0 only: drop "${path}" (${CLUSTER_EXAMPLE})`;
    return { kind: 'cluster', nodes, username, password };
  }
  const name = decode(path.replace(/^\//, ''));
  if (name === '' || name.includes('/')) return `needs the master's name as its path (${SENTINEL_EXAMPLE})`;
  const db = params.get('db') ?? '0';
  if (!/^\d+$/.test(db)) return `db must be a database number, not "${db}"`;
  return {
    kind: 'sentinel',
    sentinels: nodes,
    name,
    db: Number(db),
    username,
    password,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
  };
}

function parseNode(entry: string, defaultPort: number): RedisNode | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match) return undefined;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
