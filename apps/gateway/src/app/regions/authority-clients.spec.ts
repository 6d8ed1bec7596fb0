import { type Caller } from '@trellis/auth';
import { DomainError } from '@trellis/service-kit';

import { type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { type SystemRow, type SystemsRepository, type Tx } from '../systems/systems.repository';
import { type AlsoInChange, type SystemsService } from '../systems/systems.service';
import { AuthorityClientsService } from './authority-clients';
import { newPassword, type PrincipalSpec, type PrincipalStore } from './principal-store';
import { RegionPrincipals } from './region-principals';
import { type RegionalService } from './regional.service';

// Order and compensation of the acts that write a Kafka principal (creation, re-key): a fake
// database whose transactions commit or roll back, and a fake principal adapter that fails where
// each case asks. After every failure: no client without its principal, no principal without its
// client, no password that nobody was told, and no event or audit record of an act that did not
// happen.

const REGION = 'north-east';
const caller: Caller = {
  systemId: 'sys-ne-authority',
  odsCode: 'YRA01',
  region: REGION,
  scopes: ['region/north-east/systems.write', 'region/north-east/systems.read'],
  tokenId: 'jti-1',
  expiresAt: 4_000_000_000,
};

type Failure = 'none' | 'before-write' | 'part-way';

/** Principals as the broker (or the Kubernetes API) holds them: principal → password. */
class FakeStore implements PrincipalStore {
  readonly managedBy = 'kafka';
  readonly held = new Map<string, string>();
  upsertFails: Failure = 'none';
  removeFails = false;
  removed: string[] = [];

  upsert(spec: PrincipalSpec): Promise<string> {
    if (this.upsertFails === 'before-write') return Promise.reject(new Error('broker unreachable'));
    const password = newPassword();
    this.held.set(spec.principal, password);
    // the SCRAM credential changed, then the ACLs were refused
    if (this.upsertFails === 'part-way') return Promise.reject(new Error('ACLs refused'));
    return Promise.resolve(password);
  }

  remove(spec: PrincipalSpec): Promise<void> {
    if (this.removeFails) return Promise.reject(new Error('broker unreachable'));
    this.removed.push(spec.principal);
    this.held.delete(spec.principal);
    return Promise.resolve();
  }
}

/** Committed rows and region-stream events; a transaction commits only if its work succeeds. */
class FakeDatabase {
  readonly rows = new Map<string, SystemRow>();
  readonly events: { action: string; systemId: string }[] = [];
  commitFails = false;

  async transaction<T>(work: (pending: { action: string; systemId: string }[]) => Promise<T>) {
    const pending: { action: string; systemId: string }[] = [];
    const result = await work(pending);
    if (this.commitFails) throw new Error('could not serialize access');
    this.events.push(...pending);
    return result;
  }
}

function systemRow(id: string, status: 'active' | 'suspended' = 'active'): SystemRow {
  const at = new Date('2026-12-07T09:00:00Z');
  return {
    id,
    name: 'North East analytics',
    supplier: 'north-east regional digital authority',
    odsCode: 'YRA01',
    region: REGION,
    jwks: null,
    jwksUrl: 'https://ne.example/jwks',
    allowedScopes: ['region/north-east/systems.read'],
    status,
    suspensionReason: null,
    rateLimitPerWindow: null,
    version: 1,
    createdBy: caller.systemId,
    createdAt: at,
    changedBy: caller.systemId,
    changedAt: at,
    productVersionId: 'unclassified@legacy',
    writesRestricted: false,
    lifecycle: 'sandbox',
  };
}

function setUp(managed = true) {
  const store = new FakeStore();
  const db = new FakeDatabase();
  const asTx = (pending: { action: string; systemId: string }[]): Tx => pending as unknown as Tx;
  const fromTx = (tx: Tx): { action: string; systemId: string }[] =>
    tx as unknown as { action: string; systemId: string }[];
  const regional = {
    authorise: () => undefined,
    isOverride: () => false,
    inRegion: (_c: Caller, _r: string, id: string) => {
      const row = db.rows.get(id);
      if (!row) throw new DomainError('gateway', 'NOT_FOUND', 'NOT_FOUND', `${id} not found`);
      return Promise.resolve(row);
    },
    record:
      (_c: Caller, _r: string, action: string): AlsoInChange =>
      (tx, after) => {
        fromTx(tx).push({ action, systemId: after.id });
        return Promise.resolve();
      },
  } as unknown as RegionalService;
  const systems = {
    register: (input: { clientId?: string }, _c: Caller, also?: AlsoInChange) => {
      const id = input.clientId ?? 'sys-generated';
      if (db.rows.has(id))
        return Promise.reject(new DomainError('gateway', 'EXISTS', 'ALREADY_EXISTS', id));
      const row = systemRow(id);
      return db
        .transaction(async (pending) => {
          pending.push({ action: 'registered', systemId: id });
          if (also) await also(asTx(pending), row);
          return row;
        })
        .then((r) => {
          db.rows.set(id, r);
          return r;
        });
    },
  } as unknown as SystemsService;
  const repo = {
    transaction: <T>(fn: (tx: Tx) => Promise<T>) => db.transaction((p) => fn(asTx(p))),
  } as unknown as SystemsRepository;
  const config = { regionTopicPrefix: 'trellis.region.' } as GatewayConfig;
  const env = { GATEWAY_REGION_PRINCIPALS: managed ? 'kafka' : 'none' } as GatewayEnv;
  const principals = new RegionPrincipals(config, env, managed ? store : null);
  const service = new AuthorityClientsService(regional, systems, principals, repo);
  const input = {
    clientId: 'ne-analytics',
    name: 'North East analytics',
    odsCode: 'YRA01',
    keys: { jwksUrl: 'https://ne.example/jwks' },
    scopes: ['region/north-east/systems.read'],
  };
  return { store, db, service, input };
}

const PRINCIPAL = 'region-north-east.ne-analytics';
const refusal = (p: Promise<unknown>): Promise<{ kind: string; message: string }> =>
  p.then(
    () => ({ kind: 'resolved', message: '' }),
    (e: unknown) => ({
      kind: e instanceof DomainError ? e.kind : 'other',
      message: e instanceof Error ? e.message : String(e),
    }),
  );

describe('authority clients: the order of the database change and the principal write', () => {
  it('creates the row, its event and the principal together, and answers the password the broker holds', async () => {
    const { store, db, service, input } = setUp();
    const r = await service.create(caller, REGION, input, 'test');
    expect(r.kafka.password).toBe(store.held.get(PRINCIPAL));
    expect(db.rows.has('ne-analytics')).toBe(true);
    expect(db.events.map((e) => e.action)).toEqual(['registered', 'authority-client.created']);
  });

  it.each<Failure>(['before-write', 'part-way'])(
    'creation: a principal write failing %s leaves neither client nor principal, and no event',
    async (failure) => {
      const { store, db, service, input } = setUp();
      store.upsertFails = failure;
      const got = await refusal(service.create(caller, REGION, input, 'test'));
      expect(got.kind).toBe('UNAVAILABLE');
      expect(got.message).toMatch(/not registered either; retry the creation/);
      expect(db.rows.size).toBe(0);
      expect(db.events).toEqual([]);
      expect(store.held.size).toBe(0);
      expect(store.removed).toEqual([PRINCIPAL]);
    },
  );

  it('creation: the commit failing after the principal was written deletes the principal', async () => {
    const { store, db, service, input } = setUp();
    db.commitFails = true;
    const got = await refusal(service.create(caller, REGION, input, 'test'));
    expect(got.message).toBe('could not serialize access');
    expect(db.rows.size).toBe(0);
    expect(store.held.size).toBe(0);
  });

  it("creation refused by the database before the principal (an existing id) leaves the existing client's principal alone", async () => {
    const { store, service, input } = setUp();
    const first = await service.create(caller, REGION, input, 'test');
    const got = await refusal(service.create(caller, REGION, input, 'test'));
    expect(got.kind).toBe('ALREADY_EXISTS');
    expect(store.held.get(PRINCIPAL)).toBe(first.kafka.password);
    expect(store.removed).toEqual([]);
  });

  it('re-key: a new password the broker holds, the old one gone, one event', async () => {
    const { store, db, service, input } = setUp();
    const first = await service.create(caller, REGION, input, 'test');
    const r = await service.rekey(caller, REGION, 'ne-analytics', 'test');
    expect(r.kafka.password).toBe(store.held.get(PRINCIPAL));
    expect(r.kafka.password).not.toBe(first.kafka.password);
    expect(db.events.map((e) => e.action)).toEqual([
      'registered',
      'authority-client.created',
      'authority-client.rekeyed',
    ]);
  });

  it.each<[Failure, boolean]>([
    ['before-write', false],
    ['part-way', false],
    ['none', true],
  ])(
    're-key: the write failing %s (or the commit failing: %s) removes the principal; no event; the message names the retry',
    async (failure, commitFails) => {
      const { store, db, service, input } = setUp();
      await service.create(caller, REGION, input, 'test');
      store.upsertFails = failure;
      db.commitFails = commitFails;
      const got = await refusal(service.rekey(caller, REGION, 'ne-analytics', 'test'));
      expect(got.kind).toBe(commitFails ? 'other' : 'UNAVAILABLE');
      if (!commitFails) expect(got.message).toContain('ne-analytics/kafka-credentials');
      // no principal whose password nobody was told: it is gone, and the client still exists
      expect(store.held.has(PRINCIPAL)).toBe(false);
      expect(db.rows.has('ne-analytics')).toBe(true);
      expect(db.events.map((e) => e.action)).not.toContain('authority-client.rekeyed');
      // the retry creates it afresh
      store.upsertFails = 'none';
      db.commitFails = false;
      const retried = await service.rekey(caller, REGION, 'ne-analytics', 'test');
      expect(store.held.get(PRINCIPAL)).toBe(retried.kafka.password);
    },
  );

  it('a compensation that fails too still answers the failure (the orphan is logged)', async () => {
    const { store, service, input } = setUp();
    store.upsertFails = 'part-way';
    store.removeFails = true;
    const got = await refusal(service.create(caller, REGION, input, 'test'));
    expect(got.kind).toBe('UNAVAILABLE');
  });

  it('re-key is refused for a suspended (withdrawn) client and where the chart keeps the principals', async () => {
    const { store, db, service } = setUp();
    db.rows.set('ne-old', systemRow('ne-old', 'suspended'));
    expect((await refusal(service.rekey(caller, REGION, 'ne-old', 'test'))).kind).toBe(
      'FAILED_PRECONDITION',
    );
    expect(store.held.size).toBe(0);
    const none = setUp(false);
    none.db.rows.set('ne-analytics', systemRow('ne-analytics'));
    expect((await refusal(none.service.rekey(caller, REGION, 'ne-analytics', 'test'))).kind).toBe(
      'FAILED_PRECONDITION',
    );
    expect(none.db.events).toEqual([]);
  });
});
