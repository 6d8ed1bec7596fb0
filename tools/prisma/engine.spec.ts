import { evaluateGlue, shadowCreatedAt, shadowDatabaseName } from './engine';

describe('evaluateGlue', () => {
  it('turns exported functions and classes of the wasm-bindgen glue into an object', () => {
    const glue = evaluateGlue(
      'let wasm;\nexport function __wbg_set_wasm(v) { wasm = v; }\nexport function version() { return wasm.v; }\nexport class SchemaEngine { static tag() { return "x"; } }\n',
    ) as unknown as {
      __wbg_set_wasm(v: unknown): void;
      version(): string;
      SchemaEngine: { tag(): string };
    };
    glue.__wbg_set_wasm({ v: '7.10' });
    expect(glue.version()).toBe('7.10');
    expect(glue.SchemaEngine.tag()).toBe('x');
  });

  it('refuses a glue format it does not understand', () => {
    expect(() => evaluateGlue("import * as x from './y.js';\nexport function f() {}")).toThrow(
      /has imports/,
    );
    expect(() => evaluateGlue('export const f = 1;')).toThrow(/unsupported export forms/);
  });

  it('gives the glue timers that do not keep the process alive', () => {
    const glue = evaluateGlue(
      'export function arm(ms) { return setTimeout(() => undefined, ms); }',
    ) as unknown as {
      arm(ms: number): NodeJS.Timeout;
    };
    const handle = glue.arm(60_000);
    expect(handle.hasRef()).toBe(false);
    clearTimeout(handle);
  });
});

describe('shadow database names', () => {
  it('encode the schema and creation time, fit PostgreSQL identifiers and parse back', () => {
    const now = Date.UTC(2026, 10, 23, 23, 30, 0);
    const name = shadowDatabaseName('identity', now);
    expect(name).toMatch(/^prisma_shadow_identity_[0-9a-z]+_[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(shadowCreatedAt(name, 'identity')).toBe(now);
    expect(shadowCreatedAt(name, 'identity_x')).toBeUndefined();
    expect(shadowCreatedAt('prisma_shadow_identity_de26522d', 'identity')).toBeUndefined();
    expect(() => shadowDatabaseName('x'.repeat(40))).toThrow(/too long/);
  });
});
