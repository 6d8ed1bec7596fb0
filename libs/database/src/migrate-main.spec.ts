import { migrateFromEnv } from './migrate-main';

describe('migrateFromEnv', () => {
  it('refuses to run without DATABASE_URL, logging one JSON line', async () => {
    const lines: string[] = [];
    const code = await migrateFromEnv({
      app: 'identity',
      migrationsDir: '/nonexistent',
      env: {},
      write: (l) => lines.push(l),
    });
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'error',
      service: 'identity',
      msg: 'DATABASE_URL is not set',
    });
  });

  it('reports a missing migrations directory as a failure with its code', async () => {
    const lines: string[] = [];
    const code = await migrateFromEnv({
      app: 'identity',
      migrationsDir: '/nonexistent',
      env: { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/db' },
      write: (l) => lines.push(l),
    });
    expect(code).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 'error',
      code: 'NO_MIGRATIONS',
      schema: 'identity',
    });
  });
});
