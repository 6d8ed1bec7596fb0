import { toPoolConfig } from './connection';
import { tlsFromEnvironment } from './tls';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files = (path: string): string => {
  if (path === '/etc/trellis/postgres-ca/ca.crt') return CA;
  throw new Error(`ENOENT: ${path}`);
};

describe('tlsFromEnvironment (PGSSLMODE, PGSSLROOTCERT)', () => {
  it('leaves TLS to the URL and node-postgres when PGSSLMODE is unset', () => {
    expect(tlsFromEnvironment({}, files)).toBeUndefined();
    expect(tlsFromEnvironment({ PGSSLMODE: ' ' }, files)).toBeUndefined();
  });

  it('disable: no TLS', () => {
    expect(tlsFromEnvironment({ PGSSLMODE: 'disable' }, files)).toBe(false);
  });

  it('require without a CA: encrypted, certificate not checked', () => {
    expect(tlsFromEnvironment({ PGSSLMODE: 'require' }, files)).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('require or verify-ca with a CA: chain checked against it, host name not', () => {
    for (const mode of ['require', 'verify-ca']) {
      const tls = tlsFromEnvironment(
        { PGSSLMODE: mode, PGSSLROOTCERT: '/etc/trellis/postgres-ca/ca.crt' },
        files,
      );
      expect(tls).toMatchObject({ rejectUnauthorized: true, ca: CA });
      expect(tls && tls.checkServerIdentity?.('db.example', {} as never)).toBeUndefined();
    }
  });

  it('verify-full: chain and host name checked (Node’s own host name check kept)', () => {
    const tls = tlsFromEnvironment(
      { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/trellis/postgres-ca/ca.crt' },
      files,
    );
    expect(tls).toEqual({ rejectUnauthorized: true, ca: CA });
    expect(tlsFromEnvironment({ PGSSLMODE: 'verify-full' }, files)).toEqual({
      rejectUnauthorized: true,
    });
  });

  it('refuses modes with a plaintext fallback, unknown modes and an unreadable CA', () => {
    expect(() => tlsFromEnvironment({ PGSSLMODE: 'prefer' }, files)).toThrow(
      'PGSSLMODE=prefer is not supported',
    );
    expect(() => tlsFromEnvironment({ PGSSLMODE: 'verify_full' }, files)).toThrow('not supported');
    expect(() =>
      tlsFromEnvironment({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/missing.crt' }, files),
    ).toThrow('PGSSLROOTCERT=/missing.crt cannot be read');
  });
});

describe('toPoolConfig and TLS', () => {
  const saved = { mode: process.env['PGSSLMODE'], root: process.env['PGSSLROOTCERT'] };
  afterEach(() => {
    for (const [name, value] of [
      ['PGSSLMODE', saved.mode],
      ['PGSSLROOTCERT', saved.root],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('applies PGSSLMODE when the URL does not choose', () => {
    process.env['PGSSLMODE'] = 'require';
    delete process.env['PGSSLROOTCERT'];
    const cfg = toPoolConfig({ url: 'postgresql://u:p@db:5432/trellis', schema: 'identity' });
    expect(cfg.ssl).toEqual({ rejectUnauthorized: false });
  });

  it('lets the URL’s own sslmode win over the environment', () => {
    process.env['PGSSLMODE'] = 'require';
    const cfg = toPoolConfig({
      url: 'postgresql://u:p@db:5432/trellis?sslmode=disable',
      schema: 'identity',
    });
    expect(cfg.ssl).toBe(false);
  });

  it('changes nothing without PGSSLMODE', () => {
    delete process.env['PGSSLMODE'];
    const cfg = toPoolConfig({ url: 'postgresql://u:p@db:5432/trellis', schema: 'identity' });
    expect(cfg.ssl).toBeUndefined();
  });
});
