import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidSettings } from '../../runtime/errors.js';
import { isTlsVerificationError, resolveTls, tlsHint } from '../../runtime/transport/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'arq-tls-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('resolveTls', () => {
  it('is undefined when nothing is set, so Node defaults apply', () => {
    assert.equal(resolveTls(undefined, {}), undefined);
  });

  it('reads the files once and passes PEM text, the servername and rejectUnauthorized through', () => {
    const tls = resolveTls(
      {
        caFile: file('ca.pem', 'CA'),
        certFile: file('c.pem', 'CERT'),
        keyFile: file('k.pem', 'KEY'),
        servername: 'mq',
      },
      {},
    );
    assert.equal(String(tls?.ca), 'CA');
    assert.equal(String(tls?.cert), 'CERT');
    assert.equal(String(tls?.key), 'KEY');
    assert.equal(tls?.servername, 'mq');
    assert.equal(resolveTls({ rejectUnauthorized: false }, {})?.rejectUnauthorized, false);
  });

  it('takes what the settings leave out from ARQ_TLS_* variables, the settings winning', () => {
    const env = { ARQ_TLS_CA_FILE: file('env-ca.pem', 'ENV CA'), ARQ_TLS_SERVERNAME: 'from-env' };
    const tls = resolveTls({ servername: 'from-settings' }, env);
    assert.equal(String(tls?.ca), 'ENV CA');
    assert.equal(tls?.servername, 'from-settings');
  });

  it('names the setting and the path of a file it cannot read', () => {
    assert.throws(
      () => resolveTls({ caFile: join(dir, 'missing.pem') }, {}),
      (err: unknown) =>
        err instanceof InvalidSettings && /tls\.caFile: cannot read .*missing\.pem \(ENOENT\)/.test(err.message),
    );
  });

  it('refuses a client certificate without its key', () => {
    assert.throws(() => resolveTls({ cert: 'CERT' }, {}), InvalidSettings);
  });
});

describe('TLS failures', () => {
  it('treats an untrusted certificate and a refused handshake as configuration errors, with the fix named', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    assert.equal(isTlsVerificationError(untrusted), true);
    assert.match(tlsHint(untrusted), /ARQ_TLS_CA_FILE/);
    const altname = Object.assign(new Error('altname'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    assert.match(tlsHint(altname), /servername/);
    assert.equal(
      isTlsVerificationError(Object.assign(new Error('x'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })),
      true,
    );
    assert.equal(isTlsVerificationError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  });
});
