// Every patient-data call — allowed, denied or failed — appears on the audit topic exactly once.
// A tiny service (HTTP, its own Nest app) uses @trellis/auth exactly as a platform does: remote
// JWKS from the running gateway, the suspension feed, and the access auditor writing through a
// transactional outbox that the relay publishes to Kafka. It serves both doors: HTTP routes and a
// gRPC method (it borrows the gateway proto's GetSystem shape), with one scope table.
import {
  Controller,
  ForbiddenException,
  Get,
  NotFoundException,
  Param,
  type INestApplication,
} from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, RpcException, Transport, type GrpcOptions } from '@nestjs/microservices';
import { status, type Metadata } from '@grpc/grpc-js';
import {
  createAccessAuditor,
  createSystemStatusFeed,
  CurrentCaller,
  defineScopeTable,
  requireCaller,
  TrellisAuthModule,
  type AccessAuditor,
  type Caller,
} from '@trellis/auth';
import { events, PROTO_ROOT, protoPath } from '@trellis/contracts';
import { createOutbox } from '@trellis/events';

import { createGatewayPrisma } from '../src/app/database/gateway-prisma.service';
import {
  adminClient,
  collect,
  env,
  freePort,
  getToken,
  grpcCode,
  registerClient,
  startGateway,
  waitFor,
  type GatewayUnderTest,
} from './support/harness';

const TINY_GET = '/trellis.gateway.v1.ConnectedSystemService/GetSystem';
const TINY_SCOPES = defineScopeTable({
  [TINY_GET]: {
    scope: 'system/Patient.r',
    patientData: true,
    resourceType: 'Patient',
    subject: (req) => ({ nhsNumber: (req as { id: string }).id }),
  },
  'GET /patients/:nhs': {
    scope: 'system/Patient.r',
    patientData: true,
    subject: (req) => ({ nhsNumber: (req as { params: { nhs: string } }).params.nhs }),
  },
  'GET /orgs/:ods/patients/:nhs': {
    scope: 'system/Patient.r',
    patientData: true,
    subject: (req) => ({ nhsNumber: (req as { params: { nhs: string } }).params.nhs }),
  },
  'GET /patients/:nhs/broken': {
    scope: 'system/Patient.r',
    patientData: true,
    subject: (req) => ({ nhsNumber: (req as { params: { nhs: string } }).params.nhs }),
  },
  'GET /patients/:nhs/missing': {
    scope: 'system/Patient.r',
    patientData: true,
    subject: (req) => ({ nhsNumber: (req as { params: { nhs: string } }).params.nhs }),
  },
});

/** An organisation rule enforced by the platform with the caller identity (not by scopes). */
@Controller('orgs')
class TinyOrgRecordsController {
  @Get(':ods/patients/:nhs')
  read(
    @Param('ods') ods: string,
    @Param('nhs') nhs: string,
    @CurrentCaller() caller: Caller,
  ): Record<string, string> {
    if (caller.odsCode !== ods) throw new ForbiddenException('not your organisation');
    return { nhs, ods };
  }
}

/** gRPC door of the tiny service: "GetSystem" stands in for a patient read. */
@Controller()
class TinyGrpcController {
  @GrpcMethod('ConnectedSystemService', 'GetSystem')
  getSystem(req: { id: string }, metadata: Metadata): { system: { id: string; name: string } } {
    const caller = requireCaller(metadata);
    if (req.id === '9990000107')
      throw new RpcException({ code: status.NOT_FOUND, message: 'no such patient' });
    return { system: { id: req.id, name: caller.systemId } };
  }
}

@Controller('patients')
class TinyPatientsController {
  @Get(':nhs')
  read(@Param('nhs') nhs: string, @CurrentCaller() caller: Caller): Record<string, string> {
    return { nhs, readBy: caller.systemId, ods: caller.odsCode };
  }

  @Get(':nhs/broken')
  broken(): never {
    throw new Error('database exploded');
  }

  @Get(':nhs/missing')
  missing(): never {
    throw new NotFoundException();
  }
}

describe('access audit stream', () => {
  let gw: GatewayUnderTest;
  let tiny: INestApplication;
  let tinyUrl: string;
  let tinyGrpc: string;
  const prisma = (): ReturnType<typeof createGatewayPrisma> =>
    createGatewayPrisma(env('DATABASE_URL'), gw.schema.schema);
  let db: ReturnType<typeof createGatewayPrisma>;

  beforeAll(async () => {
    gw = await startGateway();
    db = prisma();
    const auditor = createAccessAuditor({
      service: 'tiny',
      db,
      outbox: createOutbox({ source: '/trellis/tiny' }),
      topic: gw.auditTopic,
    });
    @Module({
      imports: [
        TrellisAuthModule.forRoot({
          service: 'tiny',
          scopeTable: TINY_SCOPES,
          issuer: gw.baseUrl,
          jwksUrl: `${gw.baseUrl}/.well-known/jwks.json`,
          statusFeed: createSystemStatusFeed({
            service: 'tiny',
            topic: gw.systemTopic,
            connection: {
              brokers: env('KAFKA_BROKERS').split(','),
              sasl: {
                mechanism: 'scram-sha-512',
                username: env('KAFKA_SASL_USERNAME'),
                password: env('KAFKA_SASL_PASSWORD'),
              },
            },
          }),
          auditor: auditor as AccessAuditor,
        }),
      ],
      controllers: [TinyPatientsController, TinyOrgRecordsController, TinyGrpcController],
    })
    class TinyModule {}
    tiny = await NestFactory.create(TinyModule, { logger: false });
    tinyGrpc = `127.0.0.1:${await freePort()}`;
    tiny.connectMicroservice<GrpcOptions>(
      {
        transport: Transport.GRPC,
        options: {
          url: tinyGrpc,
          package: 'trellis.gateway.v1',
          protoPath: protoPath('trellis/gateway/v1/gateway.proto'),
          loader: { includeDirs: [PROTO_ROOT], longs: Number, defaults: false, oneofs: true },
        },
      },
      { inheritAppConfig: true },
    );
    await tiny.startAllMicroservices();
    const port = await freePort();
    await tiny.listen(port, '127.0.0.1');
    tinyUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await tiny?.close();
    await db?.$disconnect();
    await gw?.stop();
  });

  it('records each call once with its outcome (allowed, wrong scope, no token, bad token, not found, cross-organisation, server error)', async () => {
    const gp = await registerClient(gw, {
      scopes: ['system/Patient.rs', 'system/Appointment.r'],
      odsCode: 'Y12345',
      region: 'north-east',
      // the tiny service applies no lifecycle: no onboarding acts on the audit topic counted here
      lifecycle: 'sandbox',
    });
    const readToken = await getToken(gw, gp, 'system/Patient.r');
    const apptToken = await getToken(gw, gp, 'system/Appointment.r');
    const get = async (path: string, headers: Record<string, string>): Promise<number> =>
      (await fetch(`${tinyUrl}${path}`, { headers })).status;

    const calls: Array<[string, string, Record<string, string>, number, string]> = [
      [
        '9990000018',
        '/patients/9990000018',
        { authorization: `Bearer ${readToken}`, 'x-trellis-user': 'dr.jones' },
        200,
        '0',
      ],
      ['9990000026', '/patients/9990000026', { authorization: `Bearer ${apptToken}` }, 403, '4'],
      ['9990000034', '/patients/9990000034', {}, 401, '4'],
      ['9990000042', '/patients/9990000042', { authorization: 'Bearer a.b.c' }, 401, '4'],
      [
        '9990000050',
        '/patients/9990000050/missing',
        { authorization: `Bearer ${readToken}` },
        404,
        '4',
      ],
      [
        '9990000069',
        '/orgs/R1K01/patients/9990000069',
        { authorization: `Bearer ${readToken}` },
        403,
        '4',
      ],
      [
        '9990000077',
        '/patients/9990000077/broken',
        { authorization: `Bearer ${readToken}` },
        500,
        '8',
      ],
    ];
    const sink = await collect(gw.auditTopic);
    try {
      for (const [, path, headers, expected] of calls)
        expect([path, await get(path, headers)]).toEqual([path, expected]);
      await waitFor(() => sink.messages.length >= calls.length, 20_000);
      await new Promise((r) => setTimeout(r, 2_000)); // anything extra (a duplicate) would show up now
      const decoded = sink.messages.map((m) => ({
        key: m.key?.toString(),
        ev: events.v1.AccessRecorded.decode(m.value ?? Buffer.alloc(0)),
        headers: m.headers,
      }));
      expect(decoded).toHaveLength(calls.length);
      for (const [nhs, , , , outcome] of calls) {
        const mine = decoded.filter((d) => d.ev.patientNhsNumber === nhs);
        expect([nhs, mine.length]).toEqual([nhs, 1]);
        expect(mine[0]?.key).toBe(nhs);
        expect([nhs, mine[0]?.ev.outcome]).toEqual([nhs, outcome]);
        expect(mine[0]?.ev).toMatchObject({
          action: 'R',
          resourceType: 'Patient',
          sourceService: 'tiny',
          requiredScope: 'system/Patient.r',
        });
        expect(mine[0]?.headers?.['ce_type']?.toString()).toBe(
          'uk.nhs.trellis.audit.AccessRecorded.v1',
        );
      }
      const allowed = decoded.find((d) => d.ev.patientNhsNumber === '9990000018')?.ev;
      expect(allowed).toMatchObject({
        systemId: gp.id,
        odsCode: 'Y12345',
        region: 'north-east',
        userId: 'dr.jones',
        interaction: 'GET /patients/:nhs',
      });
      const wrongScope = decoded.find((d) => d.ev.patientNhsNumber === '9990000026')?.ev;
      expect(wrongScope).toMatchObject({
        systemId: gp.id,
        outcomeDescription: 'PERMISSION_DENIED: INSUFFICIENT_SCOPE',
      });
      const crossOrg = decoded.find((d) => d.ev.patientNhsNumber === '9990000069')?.ev;
      expect(crossOrg).toMatchObject({
        systemId: gp.id,
        odsCode: 'Y12345',
        outcomeDescription: 'http 403',
      });
      const anonymous = decoded.find((d) => d.ev.patientNhsNumber === '9990000034')?.ev;
      expect(anonymous).toMatchObject({
        systemId: '',
        outcomeDescription: 'UNAUTHENTICATED: MISSING_TOKEN',
      });
    } finally {
      await sink.stop();
    }
  });

  it('gRPC door: allowed, no token, wrong scope and not-found calls are each audited once', async () => {
    const gp = await registerClient(gw, {
      scopes: ['system/Patient.rs', 'system/Appointment.r'],
      odsCode: 'Y12345',
      region: 'north-east',
    });
    const readToken = await getToken(gw, gp, 'system/Patient.r');
    const apptToken = await getToken(gw, gp, 'system/Appointment.r');
    const client = adminClient(tinyGrpc);
    const sink = await collect(gw.auditTopic);
    const calls: Array<[string, string | null, number | 'OK', string]> = [
      ['9990000085', readToken, 'OK', '0'],
      ['9990000093', null, status.UNAUTHENTICATED, '4'],
      ['9990000115', apptToken, status.PERMISSION_DENIED, '4'],
      ['9990000107', readToken, status.NOT_FOUND, '4'],
    ];
    try {
      for (const [nhs, token, code] of calls) {
        expect([
          nhs,
          await grpcCode(client.systems.getSystem({ id: nhs }, client.as(token ?? undefined))),
        ]).toEqual([nhs, code]);
      }
      const mine = (): Array<ReturnType<typeof events.v1.AccessRecorded.decode>> =>
        sink.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value ?? Buffer.alloc(0)))
          .filter((e) => e.interaction === TINY_GET);
      await waitFor(() => mine().length >= calls.length, 20_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(mine()).toHaveLength(calls.length);
      for (const [nhs, , , outcome] of calls) {
        const evs = mine().filter((e) => e.patientNhsNumber === nhs);
        expect([nhs, evs.length, evs[0]?.outcome]).toEqual([nhs, 1, outcome]);
      }
      expect(mine().find((e) => e.patientNhsNumber === '9990000085')).toMatchObject({
        systemId: gp.id,
        resourceType: 'Patient',
        action: 'R',
      });
    } finally {
      client.close();
      await sink.stop();
    }
  });
});
