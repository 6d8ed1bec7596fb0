// PGSSLMODE / PGSSLROOTCERT (the chart's database.tls) against the real PostgreSQL, whose
// Debian cluster serves TLS with the machine's snakeoil certificate (CN and SAN "localhost").
// The connections go to 127.0.0.1, so verify-full must refuse the host name while verify-ca
// accepts the chain: proof that each mode checks what it promises.
import { readFileSync } from 'node:fs';

import { Client } from 'pg';

import { toPoolConfig } from '../src';

const SNAKEOIL = '/etc/ssl/certs/ssl-cert-snakeoil.pem';

function url(): string {
  const u = process.env['DATABASE_URL'];
  if (!u) throw new Error('DATABASE_URL is not set (.trellis/infra.env)');
  return u;
}

async function connectWith(env: Record<string, string | undefined>): Promise<boolean> {
  const saved = { mode: process.env['PGSSLMODE'], root: process.env['PGSSLROOTCERT'] };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let config;
  try {
    config = toPoolConfig({ url: url(), schema: 'public' });
  } finally {
    for (const [k, v] of [
      ['PGSSLMODE', saved.mode],
      ['PGSSLROOTCERT', saved.root],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const client = new Client({ ...config, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const r = await client.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return r.rows[0]!.ssl;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL TLS from PGSSLMODE / PGSSLROOTCERT', () => {
  beforeAll(async () => {
    expect(url()).toContain('127.0.0.1');
    readFileSync(SNAKEOIL, 'utf8');
    const c = new Client({ connectionString: url() });
    await c.connect();
    const r = await c.query<{ ssl: string }>('SHOW ssl');
    await c.end();
    if (r.rows[0]!.ssl !== 'on') throw new Error('the local PostgreSQL serves no TLS (ssl = off)');
  });

  it('disable: a plaintext connection', async () => {
    await expect(connectWith({ PGSSLMODE: 'disable' })).resolves.toBe(false);
  });

  it('require: encrypted without checking the certificate', async () => {
    await expect(connectWith({ PGSSLMODE: 'require', PGSSLROOTCERT: undefined })).resolves.toBe(
      true,
    );
  });

  it('verify-ca with the server’s CA: encrypted, chain verified', async () => {
    await expect(connectWith({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: SNAKEOIL })).resolves.toBe(
      true,
    );
  });

  it('verify-full refuses a certificate issued for another host name', async () => {
    await expect(
      connectWith({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: SNAKEOIL }),
    ).rejects.toThrow(/Hostname\/IP does not match certificate's altnames/);
  });

  it('verify-ca refuses a server whose CA is not the configured one', async () => {
    await expect(connectWith({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: undefined })).rejects.toThrow(
      /self[- ]signed certificate/,
    );
  });
});
