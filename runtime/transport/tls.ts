/**
 * TLS for `amqps://` URLs (docs/tls.md): the CA that signed the broker's certificate, a client
 * certificate and key for brokers that verify peers, and the name to check the broker's certificate
 * against. Files are read once, when settings are resolved, so a wrong path fails at construction
 * with the setting named, not later on a reconnect. The `ARQ_TLS_*` variables fill in what the
 * settings leave out, so every CLI command takes them too.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { InvalidSettings } from '../errors.js';
import type { TlsSettings } from '../types.js';

/** What amqplib passes on to `tls.connect`. */
export type TlsSocketOptions = Pick<
  TlsConnectionOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'servername' | 'rejectUnauthorized'
>;

const ENVIRONMENT: Record<string, keyof TlsSettings> = {
  ARQ_TLS_CA_FILE: 'caFile',
  ARQ_TLS_CERT_FILE: 'certFile',
  ARQ_TLS_KEY_FILE: 'keyFile',
  ARQ_TLS_SERVERNAME: 'servername',
};

/** TLS settings from `ARQ_TLS_CA_FILE`, `ARQ_TLS_CERT_FILE`, `ARQ_TLS_KEY_FILE`, `ARQ_TLS_SERVERNAME`. */
export function tlsFromEnvironment(env: NodeJS.ProcessEnv = process.env): TlsSettings {
  const settings: Record<string, string> = {};
  for (const [variable, key] of Object.entries(ENVIRONMENT)) if (env[variable]) settings[key] = env[variable];
  return settings as TlsSettings;
}

function read(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InvalidSettings(`invalid TLS settings: tls.${setting}: cannot read ${path} (${reason})`, { cause: err });
  }
}

/** Socket options for amqplib, or undefined when nothing TLS-specific is set (Node's defaults apply). */
export function resolveTls(
  input: TlsSettings | undefined,
  env: NodeJS.ProcessEnv = process.env,
): TlsSocketOptions | undefined {
  const settings: TlsSettings = { ...tlsFromEnvironment(env), ...input };
  const options: TlsSocketOptions = {};
  const ca = settings.ca ?? (settings.caFile ? read(settings.caFile, 'caFile') : undefined);
  const cert = settings.cert ?? (settings.certFile ? read(settings.certFile, 'certFile') : undefined);
  const key = settings.key ?? (settings.keyFile ? read(settings.keyFile, 'keyFile') : undefined);
  if ((cert === undefined) !== (key === undefined))
    throw new InvalidSettings('invalid TLS settings: a client certificate needs its key, and a key its certificate');
  if (ca !== undefined) options.ca = ca;
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  if (settings.passphrase !== undefined) options.passphrase = settings.passphrase;
  if (settings.servername !== undefined) options.servername = settings.servername;
  if (settings.rejectUnauthorized !== undefined) options.rejectUnauthorized = settings.rejectUnauthorized;
  return Object.keys(options).length > 0 ? options : undefined;
}

/** Node's codes for a broker certificate that cannot be trusted: retrying cannot help. */
const VERIFICATION_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A certificate the client cannot trust, or a handshake the broker refused (no or a bad client certificate). */
export function isTlsVerificationError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (VERIFICATION_CODES.has(code) || code.startsWith('ERR_SSL_'));
}

/** The setting that fixes a TLS failure, for the one line a failed connect prints. */
export function tlsHint(err: unknown): string {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return ` [${code}: set tls.servername (ARQ_TLS_SERVERNAME) to a name the broker's certificate carries]`;
  if (VERIFICATION_CODES.has(code))
    return ` [${code}: give the CA that signed the broker's certificate in tls.caFile (ARQ_TLS_CA_FILE)]`;
  if (code.startsWith('ERR_SSL_'))
    return ` [${code}: the broker refused the TLS handshake; does it want a client certificate (tls.certFile, tls.keyFile)?]`;
  return '';
}
