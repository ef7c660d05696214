import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hidePasswords } from '../../cli/command-support.js';
import { InvalidSettings, RabbitMQClient } from '../../runtime/index.js';
import { parseRedisAddress, redactRedisUrl, redisAddressProblem } from '../../runtime/results/redis-address.js';

describe('result store URL', () => {
  it('reads one Redis, a Sentinel group and a cluster', () => {
    assert.deepEqual(parseRedisAddress('redis://:pw@localhost:6379/2'), {
      kind: 'single',
      url: 'redis://:pw@localhost:6379/2',
    });
    assert.deepEqual(
      parseRedisAddress(
        'redis-sentinel://app:p%40ss@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster?db=3&sentinelPassword=s',
      ),
      {
        kind: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'mymaster',
        db: 3,
        username: 'app',
        password: 'p@ss',
        sentinelPassword: 's',
      },
    );
    assert.deepEqual(parseRedisAddress('redis-sentinel://s1:26379/main'), {
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'main',
      db: 0,
      username: undefined,
      password: undefined,
      sentinelPassword: undefined,
    });
    assert.deepEqual(parseRedisAddress('redis-cluster://:secret@node-a:7000,node-b:7001/'), {
      kind: 'cluster',
      nodes: [
        { host: 'node-a', port: 7000 },
        { host: 'node-b', port: 7001 },
      ],
      username: undefined,
      password: 'secret',
    });
  });

  it('says in plain words what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://localhost', /must be a redis:\/\/, rediss:\/\/, redis-sentinel:\/\/ or redis-cluster:\/\/ URL/],
      ['redis-sentinel://h1:26379,h2:26379', /needs the master's name as its path \(redis-sentinel:\/\/host1/],
      ['redis-sentinel://h1:26379/m?db=x', /db must be a database number, not "x"/],
      [
        'redis-sentinel://h1:26379/m?password=x',
        /unknown parameter\(s\) "password" \(a sentinel URL takes db and sentinelPassword\)/,
      ],
      ['redis-sentinel://h1:99999/m', /"h1:99999" is not host:port/],
      ['redis-cluster://h1:7000,,h2:7001', /"" is not host:port/],
      ['redis-cluster://h1:7000/1', /a cluster has database 0 only: drop "\/1"/],
      ['redis-cluster://h1:7000?db=1', /unknown parameter\(s\) "db" \(a cluster URL takes none\)/],
    ];
    for (const [url, message] of cases) assert.match(redisAddressProblem(url) ?? 'accepted', message, url);
    assert.equal(redisAddressProblem('rediss://localhost:6380'), undefined);
  });

  it('refuses a bad URL once, at construction, naming the setting', () => {
    assert.throws(
      () => new RabbitMQClient({ resultStore: 'redis-sentinel://h1:26379' }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidSettings);
        assert.match(err.message, /^invalid client settings: resultStore: needs the master's name as its path/);
        return true;
      },
    );
    assert.throws(() => parseRedisAddress('redis-cluster://'), /invalid result store settings: resultStore: "" is not/);
  });

  it('prints no password of any form', () => {
    assert.equal(
      redactRedisUrl('redis-sentinel://app:hunter2@h1:26379,h2/m?db=1&sentinelPassword=hunter3'),
      'redis-sentinel://app:***@h1:26379,h2/m?db=1&sentinelPassword=***',
    );
    assert.equal(redactRedisUrl('redis-cluster://:hunter2@h1:7000,h2:7001'), 'redis-cluster://:***@h1:7000,h2:7001');
    assert.equal(redactRedisUrl('redis://:hunter2@h1:6379/0'), 'redis://:***@h1:6379/0');
    assert.equal(redactRedisUrl('redis-cluster://h1:7000'), 'redis-cluster://h1:7000');
    const line = hidePasswords('cannot reach redis-sentinel://:hunter2@h1,h2/m?sentinelPassword=hunter3 now');
    assert.equal(line, 'cannot reach redis-sentinel://:***@h1,h2/m?sentinelPassword=*** now');
  });
});
