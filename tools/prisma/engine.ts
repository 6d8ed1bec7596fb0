/**
 * Loads Prisma's WebAssembly schema engine (@prisma/schema-engine-wasm) and connects it to
 * PostgreSQL through @prisma/adapter-pg — the same engine `prisma migrate` runs natively, without
 * the downloadable binary (see docs/prisma.md and toolchain.md "Prisma 7").
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
} from '@prisma/driver-adapter-utils';
import { Client } from 'pg';
import { quoteIdent, toPoolConfig } from '@trellis/database';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

type WasmBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: WasmBindings | undefined;

/** The slice of the WebAssembly global we use (lib ES2023 has no WebAssembly typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The glue reports Rust panics through `globalThis.PRISMA_WASM_PANIC_REGISTRY` (the Prisma CLI
 * installs one); without it a panic surfaces as an unrelated TypeError. Keep the last message.
 */
let lastPanic: string | undefined;
function installPanicRegistry(): void {
  const registry = globalThis as unknown as {
    PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void };
  };
  registry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message: (message: string) => {
      lastPanic = message;
    },
  };
}

/** Turns a wasm trap after an engine panic into an error carrying the panic message. */
export function explainEngineError(error: unknown): unknown {
  if (lastPanic === undefined) return error;
  const message = lastPanic;
  lastPanic = undefined;
  return new Error(`Prisma schema engine panicked: ${message}`, { cause: error });
}

/**
 * Pitfall 1: the package entry imports the `.wasm` file as an ES module, which Node refuses
 * without a flag. Load the JS glue (`schema_engine_bg`) and instantiate the module ourselves.
 */
function loadBindings(): WasmBindings {
  if (bindings) return bindings;
  installPanicRegistry();
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const glue = evaluateGlue(readFileSync(gluePath, 'utf8'));
  const module = new wasm.Module(readFileSync(gluePath.replace(/\.js$/, '.wasm')));
  const instance = new wasm.Instance(module, {
    './schema_engine_bg.js': glue as unknown as Record<string, unknown>,
  });
  const exports = instance.exports as { __wbindgen_start?: () => void };
  (glue as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(exports);
  exports.__wbindgen_start?.();
  bindings = glue;
  return glue;
}

/**
 * Pitfall 6: the engine arms housekeeping timers (10 s and 60 s) that outlive every command and
 * would keep Node (and Jest) alive. Give the glue timers that do not hold the event loop open.
 */
const unrefSetTimeout = ((
  callback: (...args: unknown[]) => void,
  ms?: number,
  ...args: unknown[]
) => {
  const handle = setTimeout(callback, ms, ...args);
  handle.unref();
  return handle;
}) as typeof setTimeout;

/**
 * Evaluates the wasm-bindgen glue (an ES module with only `export function|class` declarations
 * and no imports) as a plain function body. Works the same under Node's CommonJS loader,
 * swc-node and Jest — whose module registry cannot `require()` an ES module.
 */
export function evaluateGlue(source: string): WasmBindings {
  if (/^\s*import\s/m.test(source))
    throw new Error('schema_engine_bg.js has imports: glue format changed');
  const names: string[] = [];
  const body = source.replace(
    /^export (function|class) ([A-Za-z0-9_$]+)/gm,
    (_match, kind: string, name: string) => {
      names.push(name);
      return `${kind} ${name}`;
    },
  );
  if (/^export\s/m.test(body))
    throw new Error('schema_engine_bg.js has unsupported export forms: glue format changed');
  // Trusted package file (see above): evaluated as a function body, like a CommonJS wrapper.
  const factory = new Function(
    'module',
    'setTimeout',
    `${body}\nreturn { ${names.join(', ')} };`,
  ) as (m: NodeJS.Module, timer: typeof setTimeout) => unknown;
  return factory(module, unrefSetTimeout) as WasmBindings;
}

export function engineVersion(): string {
  return loadBindings().version();
}

/** OID of PostgreSQL's internal single-byte `"char"` type, and of `text`. */
const CHAR_OID = 18;
const TEXT_OID = 25;

interface PatchableQueryable {
  performIO(query: SqlQuery): Promise<{ fields: { dataTypeID: number }[] }>;
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
}

/**
 * Pitfall 5: the engine's introspection reads `"char"` columns (pg_class.relkind,
 * pg_constraint.contype, ...), which the pg adapter refuses to decode (OID 18 has no column
 * type). Let the adapter decode them as text (pg already returns a one-character string), then
 * report the column as `Character` — the engine's describer reads e.g. contype `as_char()` and
 * panics on a Text column (seen on any table with a CHECK constraint).
 * The query object is the key between the two hooks, so concurrent queries cannot mix.
 */
function patchQueryable<T extends object>(queryable: T): T {
  const target = queryable as unknown as PatchableQueryable;
  const charColumns = new WeakMap<SqlQuery, number[]>();
  const performIO = target.performIO.bind(target);
  target.performIO = async (query) => {
    const result = await performIO(query);
    const indexes: number[] = [];
    result.fields.forEach((field, index) => {
      if (field.dataTypeID === CHAR_OID) {
        field.dataTypeID = TEXT_OID;
        indexes.push(index);
      }
    });
    if (indexes.length > 0) charColumns.set(query, indexes);
    return result;
  };
  const queryRaw = target.queryRaw.bind(target);
  target.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const index of charColumns.get(query) ?? [])
      result.columnTypes[index] = ColumnTypeEnum.Character;
    charColumns.delete(query);
    return result;
  };
  return queryable;
}

/**
 * Also replaces the adapter's executeScript (which splits on `;` and so breaks function bodies)
 * with one simple-protocol query per script, as the native engine does.
 */
function patchAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  patchQueryable(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) =>
    patchQueryable(await startTransaction(isolationLevel));
  const driver = (
    adapter as unknown as { underlyingDriver(): { query(sql: string): Promise<unknown> } }
  ).underlyingDriver();
  adapter.executeScript = async (script: string) => {
    try {
      await driver.query(script);
    } catch (error) {
      (adapter as unknown as { onError(e: unknown): never }).onError(error);
    }
  };
  return adapter;
}

export interface EngineTarget {
  url: string;
  /** PostgreSQL schema the service lives in (main and shadow database alike). */
  schema: string;
}

/**
 * An adapter factory whose shadow database is created and dropped by us (pitfall 4: the pg
 * adapter drops its shadow database while its own pool is still connected, and fails).
 */
class TrellisPgFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  readonly shadowDatabases: string[] = [];
  private readonly adapters: SqlDriverAdapter[] = [];

  constructor(
    private readonly target: EngineTarget,
    private readonly onShadowDatabase: (event: 'created' | 'dropped', name: string) => void = () =>
      undefined,
  ) {}

  async connect(): Promise<SqlDriverAdapter> {
    // Pitfall 3: a config object, never a URL (a URL would override `database` for the shadow).
    const factory = new PrismaPg(toPoolConfig(this.target, { max: 2 }), {
      schema: this.target.schema,
    });
    return this.track(patchAdapter(await factory.connect()));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const database = shadowDatabaseName(this.target.schema);
    await adminQuery(this.target, `CREATE DATABASE ${quoteIdent(database)}`);
    this.shadowDatabases.push(database);
    this.onShadowDatabase('created', database);
    const shadowTarget = { ...this.target, database };
    await prepareShadowDatabase(this.target, shadowTarget);
    const factory = new PrismaPg(toPoolConfig(shadowTarget, { max: 2 }), {
      schema: this.target.schema,
    });
    return this.track(patchAdapter(await factory.connect()));
  }

  private track(adapter: SqlDriverAdapter): SqlDriverAdapter {
    this.adapters.push(adapter);
    return adapter;
  }

  /** Pitfall 6: close every pool (the engine never does), then drop shadow databases. */
  async close(): Promise<void> {
    await Promise.allSettled(this.adapters.map((a) => a.dispose()));
    this.adapters.length = 0;
    const failures: unknown[] = [];
    for (const database of this.shadowDatabases.splice(0)) {
      try {
        await dropDatabase(this.target, database);
        this.onShadowDatabase('dropped', database);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, 'Could not drop every shadow database');
    }
  }
}

const shadowPrefix = (schema: string): string => `prisma_shadow_${schema}_`;

/** `prisma_shadow_<schema>_<created, base-36 seconds>_<hex>` (≤ 63 bytes or throws). */
export function shadowDatabaseName(schema: string, now = Date.now()): string {
  const name = `${shadowPrefix(schema)}${Math.floor(now / 1000).toString(36)}_${randomBytes(4).toString('hex')}`;
  if (name.length > 63)
    throw new Error(`Schema name too long for a shadow database name: ${schema}`);
  return name;
}

/** Creation time (ms) encoded in a shadow database name, if it is one of ours for `schema`. */
export function shadowCreatedAt(name: string, schema: string): number | undefined {
  if (!name.startsWith(shadowPrefix(schema))) return undefined;
  const match = /^([0-9a-z]+)_[0-9a-f]{8}$/.exec(name.slice(shadowPrefix(schema).length));
  return match?.[1] ? parseInt(match[1], 36) * 1000 : undefined;
}

/**
 * A fresh shadow database has none of the main database's extensions, so migrations using
 * pg_trgm operator classes or fuzzystrmatch functions would fail to replay there (and the engine
 * then reports a misleading "shadow DB must be provided"). Create the service schema and the same
 * extensions, in the same schemas, as the main database has (trusted extensions: the database
 * owner may create them).
 */
async function prepareShadowDatabase(
  main: EngineTarget,
  shadow: EngineTarget & { database: string },
): Promise<void> {
  const mainClient = new Client(toPoolConfig(main));
  await mainClient.connect();
  let extensions: { extname: string; nspname: string }[];
  try {
    extensions = (
      await mainClient.query<{ extname: string; nspname: string }>(
        `SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname <> 'plpgsql' ORDER BY e.extname`,
      )
    ).rows;
  } finally {
    await mainClient.end();
  }
  const client = new Client(toPoolConfig(shadow));
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(main.schema)}`);
    for (const { extname, nspname } of extensions) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(nspname)}`);
      await client.query(
        `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extname)} SCHEMA ${quoteIdent(nspname)}`,
      );
    }
  } finally {
    await client.end();
  }
}

/**
 * Shadow databases of this schema left by a killed run (no session connected to them). A
 * concurrent run's shadow database has connections, so its DROP fails and it is left alone.
 */
async function dropStaleShadowDatabases(target: EngineTarget): Promise<void> {
  const client = new Client(toPoolConfig(target));
  await client.connect();
  try {
    const stale = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database d
        WHERE starts_with(datname, $1)
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
      [shadowPrefix(target.schema)],
    );
    const cutoff = Date.now() - 10 * 60_000;
    for (const { datname } of stale.rows) {
      const created = shadowCreatedAt(datname, target.schema);
      if (created === undefined || created > cutoff) continue;
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`).catch(() => undefined);
    }
  } catch {
    // Best effort: never block migrate-dev on housekeeping.
  } finally {
    await client.end();
  }
}

/**
 * FORCE cannot terminate an autovacuum worker visiting the database for a non-superuser ("must be
 * a member of the role whose process is being terminated"); a plain DROP asks autovacuum to leave
 * by itself, so on that refusal the drop is retried plainly, a few times.
 */
async function dropDatabase(target: EngineTarget, database: string): Promise<void> {
  const name = quoteIdent(database);
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(target, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt >= 5) throw error;
      try {
        await adminQuery(target, `DROP DATABASE IF EXISTS ${name}`);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }
}

async function adminQuery(
  target: EngineTarget & { database?: string },
  sql: string,
): Promise<void> {
  const client = new Client(toPoolConfig(target));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface OpenEngine {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/** Starts the wasm engine for a schema file set, connected to `target`. */
export interface OpenEngineOptions {
  /** The engine's own JSON log lines. */
  log?: (message: string) => void;
  /** Observes the shadow databases the engine asks for (created, then dropped on close). */
  onShadowDatabase?: (event: 'created' | 'dropped', name: string) => void;
}

export async function openEngine(
  target: EngineTarget,
  datamodels: [path: string, content: string][],
  options: OpenEngineOptions = {},
): Promise<OpenEngine> {
  const glue = loadBindings();
  const log = options.log ?? (() => undefined);
  const factory = new TrellisPgFactory(target, options.onShadowDatabase);
  await adminQuery(target, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
  await dropStaleShadowDatabases(target);
  let engine: SchemaEngine;
  try {
    engine = await glue.SchemaEngine.new(
      { datamodels },
      (message: string) => log(message),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
  } catch (error) {
    await factory.close().catch(() => undefined);
    throw error;
  }
  return {
    engine,
    close: async () => {
      try {
        engine.free();
      } catch {
        // After a wasm trap the engine may refuse to be freed; the pools and shadow databases
        // below are what matter.
      } finally {
        await factory.close();
      }
    },
  };
}
