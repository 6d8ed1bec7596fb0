import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

/**
 * TLS to PostgreSQL from libpq's environment variables, for connection URLs that do not choose
 * themselves (a URL's own `sslmode`/`sslrootcert` win). The chart sets them from `database.tls`
 * (docs/operations.md): a managed database's URL rarely carries a CA path valid inside the pod.
 *
 *   PGSSLMODE      disable | require | verify-ca | verify-full (libpq's meanings; `allow` and
 *                  `prefer` need a plaintext fallback node-postgres does not have: refused)
 *   PGSSLROOTCERT  PEM file of the CA(s) that signed the server certificate
 *
 * As in libpq, `require` with a root certificate verifies the chain like `verify-ca`.
 */
export type PgTls = false | ConnectionOptions;

const MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type Mode = (typeof MODES)[number];

export function tlsFromEnvironment(
  env: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): PgTls | undefined {
  const raw = env['PGSSLMODE']?.trim();
  if (!raw) return undefined;
  if (!(MODES as readonly string[]).includes(raw)) {
    throw new Error(
      `PGSSLMODE=${raw} is not supported: use ${MODES.join(', ')} (no plaintext fallback)`,
    );
  }
  const mode = raw as Mode;
  if (mode === 'disable') return false;
  const caFile = env['PGSSLROOTCERT']?.trim();
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFile(caFile);
    } catch (e) {
      throw new Error(`PGSSLROOTCERT=${caFile} cannot be read: ${(e as Error).message}`);
    }
  }
  const verifyChain = mode !== 'require' || ca !== undefined;
  const tls: ConnectionOptions = { rejectUnauthorized: verifyChain };
  if (ca !== undefined) tls.ca = ca;
  // verify-ca (and require with a CA): the chain is checked, the host name is not.
  if (mode !== 'verify-full' && verifyChain) tls.checkServerIdentity = () => undefined;
  return tls;
}
