import { grpc as contracts } from '@trellis/contracts';
import { createServer, Metadata, ServerError, Status, type Server } from 'nice-grpc';

import { DomainError, STATUS_DETAILS_KEY, toGrpcError } from '../errors';
import { GrpcCallError } from './forwarding';
import { grpcChannel, typedClient } from './typed-client';

const Health = contracts.health.v1.HealthDefinition;
const SERVING = contracts.health.v1.HealthCheckResponse_ServingStatus.SERVING;

/** What the test server saw of the last call, and how it answers the next one. */
interface Seen {
  metadata?: Metadata;
}

async function startServer(
  answer: (service: string, signal: AbortSignal, trailer: Metadata) => Promise<void>,
  seen: Seen,
): Promise<{ server: Server; address: string }> {
  const server = createServer();
  server.add(Health, {
    async check(req, ctx) {
      seen.metadata = ctx.metadata;
      await answer(req.service, ctx.signal, ctx.trailer);
      return { status: SERVING };
    },
    async *watch() {
      throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
    },
  });
  const port = await server.listen('127.0.0.1:0');
  return { server, address: `127.0.0.1:${port}` };
}

describe('typedClient (nice-grpc over the generated definitions, one forwarding middleware)', () => {
  let server: Server;
  let address: string;
  const seen: Seen = {};

  beforeAll(async () => {
    ({ server, address } = await startServer(async (service, signal, trailer) => {
      if (service === 'refuse') {
        const rich = toGrpcError(
          new DomainError('identity', 'PATIENT_NOT_FOUND', 'NOT_FOUND', 'no such patient', [
            { field: 'nhs_number', rule: 'nhs-number.unknown', message: 'not registered' },
          ]),
          'corr-42',
        );
        const details = rich.metadata.get(STATUS_DETAILS_KEY)[0];
        if (details instanceof Buffer) trailer.set(STATUS_DETAILS_KEY, details);
        throw new ServerError(Status.NOT_FOUND, 'no such patient');
      }
      if (service === 'hang') {
        // answers only when the client gives up
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      }
    }, seen));
  });

  afterAll(async () => {
    await server.shutdown();
  });

  it('forwards the caller context and the service credentials as metadata', async () => {
    const channel = grpcChannel(address);
    const client = typedClient(Health, channel, {
      deadlineMs: 30_000,
      outgoing: (md) => md.set('x-service-token', 'svc-token'),
    });
    const res = await client.check(
      { service: '' },
      {
        forward: {
          authorization: 'Bearer abc',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          correlationId: 'corr-1',
          userId: 'user-7',
          headers: { 'x-trellis-door': 'fhir-audited' },
        },
      },
    );
    channel.close();
    expect(res.status).toBe(SERVING);
    const md = seen.metadata;
    expect(md?.get('authorization')).toBe('Bearer abc');
    expect(md?.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(md?.get('x-correlation-id')).toBe('corr-1');
    expect(md?.get('x-trellis-user')).toBe('user-7');
    expect(md?.get('x-trellis-door')).toBe('fhir-audited');
    expect(md?.get('x-service-token')).toBe('svc-token');
  });

  it('adds the metadata bound to the peer it calls (a vouch addressed to that service)', async () => {
    const channel = grpcChannel(address);
    const peers: string[] = [];
    const peerHeaders = (peer: string) => {
      peers.push(peer);
      return { 'x-trellis-gateway-vouch': `vouch-for-${peer}` };
    };
    const client = typedClient(Health, channel, { deadlineMs: 30_000, peer: 'referrals' });
    await client.check({ service: '' }, { forward: { peerHeaders } });
    expect(seen.metadata?.get('x-trellis-gateway-vouch')).toBe('vouch-for-referrals');
    // a client that names no peer sends none
    const anonymous = typedClient(Health, channel, { deadlineMs: 30_000 });
    await anonymous.check({ service: '' }, { forward: { peerHeaders } });
    channel.close();
    expect(seen.metadata?.get('x-trellis-gateway-vouch')).toBeUndefined();
    expect(peers).toEqual(['referrals']);
  });

  it('decodes the rich error (reason, correlation id, field violations) from the trailers', async () => {
    const channel = grpcChannel(address);
    const client = typedClient(Health, channel, { deadlineMs: 30_000 });
    const err = await client.check({ service: 'refuse' }).catch((e: unknown) => e);
    channel.close();
    expect(err).toBeInstanceOf(GrpcCallError);
    const call = err as GrpcCallError;
    expect(call.method).toBe('Check');
    expect(call.decoded).toEqual({
      code: Status.NOT_FOUND,
      message: 'no such patient',
      reason: 'PATIENT_NOT_FOUND',
      domain: 'trellis.identity',
      correlationId: 'corr-42',
      fieldViolations: [
        { field: 'nhs_number', rule: 'nhs-number.unknown', message: 'not registered' },
      ],
    });
  });

  it('rejects with the error the caller builds, and answers a missed deadline as DEADLINE_EXCEEDED', async () => {
    const channel = grpcChannel(address);
    const client = typedClient(Health, channel, {
      deadlineMs: 30_000,
      toError: (decoded, method) => new Error(`${method}:${decoded.code}`),
    });
    // the server never answers by itself: the deadline is the only way out
    const err = await client
      .check({ service: 'hang' }, { deadlineMs: 50 })
      .catch((e: unknown) => e);
    channel.close();
    expect(err).toEqual(new Error(`Check:${Status.DEADLINE_EXCEEDED}`));
  });

  it('reports an unreachable peer as UNAVAILABLE', async () => {
    const probe = await startServer(async () => undefined, {});
    const gone = probe.address;
    await probe.server.shutdown();
    const channel = grpcChannel(gone);
    const client = typedClient(Health, channel, { deadlineMs: 30_000 });
    const err = await client.check({ service: '' }).catch((e: unknown) => e);
    channel.close();
    expect(err).toBeInstanceOf(GrpcCallError);
    expect((err as GrpcCallError).decoded.code).toBe(Status.UNAVAILABLE);
  });
});
