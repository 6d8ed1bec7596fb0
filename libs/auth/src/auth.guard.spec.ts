import { Metadata, status } from '@grpc/grpc-js';
import { HttpException, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { lastValueFrom, of, throwError } from 'rxjs';

import { AccessAuditInterceptor } from './access-audit.interceptor';
import {
  AccessAuditor,
  type AccessRecordedFields,
  type AuditOutboxMessage,
} from './access-auditor';
import { DEFAULT_PUBLIC_KEYS, TrellisAuthGuard, type AdmissionCall } from './auth.guard';
import { callerOf, type Caller } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import { defineScopeTable } from './scope-table';
import { generateServiceKeyRing, ServiceIdentity, SERVICE_TOKEN_HEADER } from './service-identity';
import { SystemStatusRegistry } from './system-status';
import { createTestAuthority, scopeMatrix, type TestAuthority } from '../testing';
import { AccessTokenVerifier } from './token-verifier';

const GET = '/trellis.test.v1.PatientService/GetPatient';
const table = defineScopeTable({
  [GET]: {
    scope: 'system/Patient.r',
    patientData: true,
    subject: (req) => ({ nhsNumber: (req as { nhsNumber: string }).nhsNumber }),
  },
  '/trellis.test.v1.PatientService/RegisterPatient': {
    scope: 'system/Patient.c',
    patientData: true,
  },
  '/trellis.test.v1.AdminService/Purge': { scope: 'trellis/admin' },
  'GET /fhir/Patient/:id': { scope: 'system/Patient.r', patientData: true },
  'POST /oauth2/token': { public: true },
});

function rpcContext(
  path: string,
  metadata: Metadata,
  data: unknown = { nhsNumber: '9990000018' },
): ExecutionContext {
  return {
    getType: () => 'rpc',
    getArgs: () => [data, metadata, { getPath: () => path }],
  } as unknown as ExecutionContext;
}
function httpContext(
  method: string,
  route: string,
  headers: Record<string, string>,
): ExecutionContext {
  const req = { method, route: { path: route }, headers };
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req }),
    getArgs: () => [req],
  } as unknown as ExecutionContext;
}
const withToken = (token?: string, user?: string): Metadata => {
  const m = new Metadata();
  if (token !== undefined) m.set('authorization', `Bearer ${token}`);
  if (user) m.set('x-trellis-user', user);
  return m;
};

describe('TrellisAuthGuard + AccessAuditInterceptor', () => {
  let authority: TestAuthority;
  let registry: SystemStatusRegistry;
  let guard: TrellisAuthGuard;
  let interceptor: AccessAuditInterceptor;
  let written: Array<{ message: AuditOutboxMessage; fields: AccessRecordedFields }>;

  beforeEach(async () => {
    authority = authority ?? (await createTestAuthority());
    registry = new SystemStatusRegistry();
    registry.markReady();
    written = [];
    let last: AccessRecordedFields | undefined;
    const auditor = new AccessAuditor({
      service: 'test',
      db: {},
      encode: (f) => {
        last = f;
        return new Uint8Array([1]);
      },
      outbox: {
        enqueue: async (_tx, message) => {
          written.push({ message, fields: last as AccessRecordedFields });
        },
      },
    });
    const verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      audience: authority.audience,
      keySet: authority.keySet,
    });
    guard = new TrellisAuthGuard(
      table,
      verifier,
      registry,
      { publicKeys: DEFAULT_PUBLIC_KEYS, statusReadyTimeoutMs: 50 },
      auditor as AccessAuditor,
    );
    interceptor = new AccessAuditInterceptor(auditor as AccessAuditor);
  });

  const grpcCode = async (p: Promise<unknown>): Promise<number | 'ok'> => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(RpcException);
      return ((e as RpcException).getError() as { code: number }).code;
    }
  };

  it('allows a token with the scope and attaches the caller', async () => {
    const md = withToken(
      await authority.issue({ systemId: 'gp', scopes: ['system/Patient.rs'], odsCode: 'Y12345' }),
      'user-1',
    );
    await expect(guard.canActivate(rpcContext(GET, md))).resolves.toBe(true);
    expect(callerOf(md)).toMatchObject({ systemId: 'gp', odsCode: 'Y12345', userId: 'user-1' });
  });

  it('UNAUTHENTICATED for missing / malformed tokens, and audits the denial once', async () => {
    expect(await grpcCode(guard.canActivate(rpcContext(GET, withToken())))).toBe(
      status.UNAUTHENTICATED,
    );
    expect(await grpcCode(guard.canActivate(rpcContext(GET, withToken('x.y.z'))))).toBe(
      status.UNAUTHENTICATED,
    );
    expect(written).toHaveLength(2);
    expect(written[0]!.fields).toMatchObject({
      outcome: '4',
      patientNhsNumber: '9990000018',
      systemId: '',
      action: 'R',
      resourceType: 'Patient',
    });
    expect(written[0]!.message).toMatchObject({
      topic: 'trellis.audit.access.v1',
      key: '9990000018',
    });
  });

  it('PERMISSION_DENIED for every row of the scope matrix', async () => {
    for (const row of scopeMatrix(table)) {
      if (!row.key.startsWith('/')) continue;
      const md = withToken(await authority.issue({ scopes: row.lackingScopes }));
      expect(await grpcCode(guard.canActivate(rpcContext(row.key, md)))).toBe(
        status.PERMISSION_DENIED,
      );
      const ok = withToken(await authority.issue({ scopes: row.sufficientScopes }));
      expect(await grpcCode(guard.canActivate(rpcContext(row.key, ok)))).toBe('ok');
    }
  });

  it('denies undeclared methods even with every scope (fail closed)', async () => {
    const md = withToken(await authority.issue({ scopes: ['system/*.cruds', 'trellis/admin'] }));
    expect(
      await grpcCode(
        guard.canActivate(rpcContext('/trellis.test.v1.PatientService/DeletePatient', md)),
      ),
    ).toBe(status.PERMISSION_DENIED);
  });

  it('lets public entries and health through without a token', async () => {
    await expect(guard.canActivate(httpContext('POST', '/oauth2/token', {}))).resolves.toBe(true);
    await expect(
      guard.canActivate(rpcContext('/grpc.health.v1.Health/Check', withToken())),
    ).resolves.toBe(true);
  });

  it('refuses suspended systems as UNAUTHENTICATED and accepts them again after reactivation', async () => {
    const token = await authority.issue({ systemId: 'lab', scopes: ['system/Patient.r'] });
    registry.apply({ systemId: 'lab', status: 'suspended', version: 2 });
    expect(await grpcCode(guard.canActivate(rpcContext(GET, withToken(token))))).toBe(
      status.UNAUTHENTICATED,
    );
    registry.apply({ systemId: 'lab', status: 'active', version: 1 }); // stale: ignored
    expect(await grpcCode(guard.canActivate(rpcContext(GET, withToken(token))))).toBe(
      status.UNAUTHENTICATED,
    );
    registry.apply({ systemId: 'lab', status: 'active', version: 3 });
    expect(await grpcCode(guard.canActivate(rpcContext(GET, withToken(token))))).toBe('ok');
  });

  it('UNAVAILABLE while the suspension replay is incomplete (fail closed)', async () => {
    const notReady = new SystemStatusRegistry();
    const g = new TrellisAuthGuard(
      table,
      new AccessTokenVerifier({
        issuer: authority.issuer,
        audience: authority.audience,
        keySet: authority.keySet,
      }),
      notReady,
      { publicKeys: [], statusReadyTimeoutMs: 20 },
    );
    const md = withToken(await authority.issue({ scopes: ['system/Patient.r'] }));
    expect(await grpcCode(g.canActivate(rpcContext(GET, md)))).toBe(status.UNAVAILABLE);
  });

  it('with required service identity: refuses a valid system token without a service token', async () => {
    const ring = generateServiceKeyRing();
    const platform = new ServiceIdentity('identity', ring);
    const strict = new TrellisAuthGuard(
      table,
      new AccessTokenVerifier({
        issuer: authority.issuer,
        audience: authority.audience,
        keySet: authority.keySet,
      }),
      registry,
      {
        publicKeys: DEFAULT_PUBLIC_KEYS,
        statusReadyTimeoutMs: 50,
        requireServiceIdentity: platform,
      },
    );
    const token = await authority.issue({ systemId: 'gp', scopes: ['system/Patient.r'] });
    const direct = withToken(token);
    await expect(strict.canActivate(rpcContext(GET, direct))).rejects.toMatchObject({
      error: {
        code: status.UNAUTHENTICATED,
        message: expect.stringMatching(/through the gateway/),
      },
    });
    const forwarded = withToken(token);
    forwarded.set(SERVICE_TOKEN_HEADER, new ServiceIdentity('gateway', ring).token());
    await expect(strict.canActivate(rpcContext(GET, forwarded))).resolves.toBe(true);
    expect(callerOf(forwarded)).toMatchObject({ systemId: 'gp' });
    // health stays public
    await expect(
      strict.canActivate(rpcContext('/grpc.health.v1.Health/Check', new Metadata())),
    ).resolves.toBe(true);
  });

  it("applies the service's admission rule after the scope check: a refusal is 403 / PERMISSION_DENIED naming its rule", async () => {
    const admit = jest.fn(async (caller: Caller, call: AdmissionCall) => {
      if (call.requiredScope === 'system/Patient.r')
        throw new AuthError(
          AuthErrorCode.NotAdmitted,
          'not live: only within a conformance session',
          'test',
          caller,
          'lifecycle.sandbox-session-only',
        );
    });
    const admitting = new TrellisAuthGuard(
      table,
      new AccessTokenVerifier({
        issuer: authority.issuer,
        audience: authority.audience,
        keySet: authority.keySet,
      }),
      registry,
      { publicKeys: DEFAULT_PUBLIC_KEYS, statusReadyTimeoutMs: 50, admit },
    );
    const t = await authority.issue({ systemId: 'gp', scopes: ['system/Patient.rs'] });
    const e = (await admitting
      .canActivate(httpContext('GET', '/fhir/Patient/:id', { authorization: `Bearer ${t}` }))
      .catch((x: unknown) => x)) as HttpException;
    expect(e.getStatus()).toBe(403);
    expect(e.getResponse()).toMatchObject({
      error: 'NOT_ADMITTED',
      rule: 'lifecycle.sandbox-session-only',
      message: 'not live: only within a conformance session',
    });
    expect(await grpcCode(admitting.canActivate(rpcContext(GET, withToken(t))))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(admit).toHaveBeenLastCalledWith(expect.objectContaining({ systemId: 'gp' }), {
      key: GET,
      requiredScope: 'system/Patient.r',
    });
    // a call refused for scope never reaches the admission rule
    admit.mockClear();
    const noScope = await authority.issue({ scopes: ['system/Appointment.r'] });
    expect(await grpcCode(admitting.canActivate(rpcContext(GET, withToken(noScope))))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(admit).not.toHaveBeenCalled();
  });

  it('HTTP: 401 without token, 403 without scope', async () => {
    const e401 = await guard
      .canActivate(httpContext('GET', '/fhir/Patient/:id', {}))
      .catch((e: unknown) => e);
    expect((e401 as HttpException).getStatus()).toBe(401);
    const t = await authority.issue({ scopes: ['system/Appointment.r'] });
    const e403 = await guard
      .canActivate(httpContext('GET', '/fhir/Patient/:id', { authorization: `Bearer ${t}` }))
      .catch((e: unknown) => e);
    expect((e403 as HttpException).getStatus()).toBe(403);
  });

  it('HTTP HEAD uses the GET rule (Express serves HEAD with the GET handler)', async () => {
    const t = await authority.issue({ scopes: ['system/Patient.r'] });
    await expect(
      guard.canActivate(httpContext('HEAD', '/fhir/Patient/:id', { authorization: `Bearer ${t}` })),
    ).resolves.toBe(true);
    const e = await guard
      .canActivate(httpContext('HEAD', '/fhir/Patient/:id', {}))
      .catch((x: unknown) => x);
    expect((e as HttpException).getStatus()).toBe(401);
  });

  it('audits an allowed call exactly once, after the handler and before the response', async () => {
    const md = withToken(
      await authority.issue({ systemId: 'gp', scopes: ['system/Patient.r'] }),
      'nurse-7',
    );
    const ctx = rpcContext(GET, md);
    await guard.canActivate(ctx);
    const handler: CallHandler = { handle: () => of({ patient: { nhsNumber: '9990000018' } }) };
    const res = await lastValueFrom(interceptor.intercept(ctx, handler));
    expect(res).toEqual({ patient: { nhsNumber: '9990000018' } });
    expect(written).toHaveLength(1);
    expect(written[0]!.fields).toMatchObject({
      outcome: '0',
      systemId: 'gp',
      userId: 'nurse-7',
      interaction: GET,
      sourceService: 'test',
    });
  });

  it("writes nothing for a call the gateway's FHIR facade audits itself (x-trellis-door: fhir), allowed or denied", async () => {
    const fromFhir = (m: Metadata) => {
      m.set('x-trellis-door', 'fhir');
      return m;
    };
    const md = fromFhir(withToken(await authority.issue({ scopes: ['system/Patient.r'] })));
    const ctx = rpcContext(GET, md);
    await guard.canActivate(ctx);
    const handler: CallHandler = { handle: () => of({ patient: { nhsNumber: '9990000018' } }) };
    expect(await lastValueFrom(interceptor.intercept(ctx, handler))).toEqual({
      patient: { nhsNumber: '9990000018' },
    });
    const noScope = fromFhir(withToken(await authority.issue({ scopes: ['system/Slot.r'] })));
    expect(await grpcCode(guard.canActivate(rpcContext(GET, noScope)))).toBe(
      status.PERMISSION_DENIED,
    );
    expect(written).toHaveLength(0);
    // the same calls through the gRPC front door (or from a peer) are the platform's to record
    const viaGrpc = withToken(await authority.issue({ scopes: ['system/Patient.r'] }));
    viaGrpc.set('x-trellis-door', 'grpc');
    const grpcCtx = rpcContext(GET, viaGrpc);
    await guard.canActivate(grpcCtx);
    await lastValueFrom(interceptor.intercept(grpcCtx, handler));
    expect(written.map((w) => w.fields.door)).toEqual(['grpc']);
  });

  it('audits a failing handler once with the error outcome and rethrows', async () => {
    const md = withToken(await authority.issue({ scopes: ['system/Patient.r'] }));
    const ctx = rpcContext(GET, md);
    await guard.canActivate(ctx);
    const boom = new RpcException({ code: status.NOT_FOUND, message: 'no such patient' });
    await expect(
      lastValueFrom(interceptor.intercept(ctx, { handle: () => throwError(() => boom) })),
    ).rejects.toBe(boom);
    expect(written).toHaveLength(1);
    expect(written[0]!.fields.outcome).not.toBe('0');
  });

  it('fails the call when the audit cannot be written', async () => {
    const failing = new AccessAuditor({
      service: 't',
      db: {},
      encode: () => new Uint8Array(),
      outbox: {
        enqueue: async () => {
          throw new Error('db down');
        },
      },
    });
    const i = new AccessAuditInterceptor(failing as AccessAuditor);
    const md = withToken(await authority.issue({ scopes: ['system/Patient.r'] }));
    const ctx = rpcContext(GET, md);
    await guard.canActivate(ctx);
    const err = await lastValueFrom(i.intercept(ctx, { handle: () => of(1) })).catch(
      (e: unknown) => e,
    );
    expect(((err as RpcException).getError() as { code: number }).code).toBe(status.UNAVAILABLE);
  });
});
