import { Client as GrpcClient } from '@grpc/grpc-js';
import { grpc as contracts } from '@trellis/contracts';
import { createServer, Metadata, ServerError, Status, type Server } from 'nice-grpc';

import { DomainError, STATUS_DETAILS_KEY, toGrpcError, type DecodedGrpcError } from '../errors';
import { directUnaryMethods } from './direct-unary';
import type { ForwardContext, ForwardingOptions } from './forwarding';
import { grpcChannel, typedClient } from './typed-client';

const Health = contracts.health.v1.HealthDefinition;
const SERVING = contracts.health.v1.HealthCheckResponse_ServingStatus.SERVING;

class CallFailed extends Error {
  constructor(
    readonly method: string,
    readonly decoded: DecodedGrpcError,
  ) {
    super(`${method}: ${decoded.message}`);
  }
}

const OPTIONS: ForwardingOptions = {
  deadlineMs: 30_000,
  peer: 'identity',
  outgoing: (md) => md.set('x-service-token', 'svc-token'),
  toError: (decoded, method) => new CallFailed(method, decoded),
};

const FORWARD: ForwardContext = {
  authorization: 'Bearer abc',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=1',
  correlationId: 'corr-1',
  userId: 'user-7',
  headers: { 'x-trellis-door': 'fhir' },
  peerHeaders: (peer) => ({ 'x-trellis-gateway-vouch': `vouch-for-${peer}` }),
};

/** Every metadata entry the server saw but the transport's own (user agent, timeout, …). */
function entries(md: Metadata | undefined): [string, string[]][] {
  return [...(md ?? [])]
    .filter(([key]) => !key.startsWith('grpc-') && key !== 'user-agent')
    .map(([key, values]) => [key, values.map(String)]);
}

describe('directUnaryMethods: a call on grpc-js answered as the forwarding middleware answers it', () => {
  let server: Server;
  let address: string;
  const seen: Metadata[] = [];

  beforeAll(async () => {
    server = createServer();
    server.add(Health, {
      async check(req, ctx) {
        seen.push(ctx.metadata);
        if (req.service === 'refuse') {
          const rich = toGrpcError(
            new DomainError('identity', 'PATIENT_NOT_FOUND', 'NOT_FOUND', 'no such patient', [
              { field: 'nhs_number', rule: 'nhs-number.unknown', message: 'not registered' },
            ]),
            'corr-42',
          );
          const details = rich.metadata.get(STATUS_DETAILS_KEY)[0];
          if (details instanceof Buffer) ctx.trailer.set(STATUS_DETAILS_KEY, details);
          throw new ServerError(Status.NOT_FOUND, 'no such patient');
        }
        if (req.service === 'plain') throw new ServerError(Status.FAILED_PRECONDITION, 'plain');
        if (req.service === 'hang')
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve()),
          );
        return { status: SERVING };
      },
      async *watch() {
        throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
      },
    });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });

  afterAll(async () => {
    await server.shutdown();
  });

  /** The same call through both clients: what each resolved or rejected with. */
  async function both(
    service: string,
    forward: ForwardContext,
    deadlineMs?: number,
    at = address,
  ): Promise<{ viaNice: unknown; direct: unknown }> {
    const channel = grpcChannel(at);
    try {
      const nice = typedClient(Health, channel, OPTIONS);
      const direct = typedClient(Health, channel, { ...OPTIONS, direct: true });
      const viaNice = await nice
        .check({ service }, { forward, deadlineMs })
        .catch((e: unknown) => e);
      const viaDirect = await direct
        .check({ service }, { forward, deadlineMs })
        .catch((e: unknown) => e);
      return { viaNice, direct: viaDirect };
    } finally {
      channel.close();
    }
  }

  it('takes the unary methods only', () => {
    const channel = grpcChannel(address);
    const methods = directUnaryMethods(Health, channel, OPTIONS);
    channel.close();
    expect([...methods.keys()]).toEqual(['check']);
    expect(directUnaryMethods({ not: 'a definition' }, channel, OPTIONS).size).toBe(0);
  });

  it('sends the same metadata, in the same order, and resolves with the same answer', async () => {
    seen.length = 0;
    const { viaNice, direct } = await both('', FORWARD);
    expect(direct).toEqual(viaNice);
    expect(direct).toEqual({ status: SERVING });
    const [fromNice, fromDirect] = seen;
    expect(entries(fromDirect)).toEqual(entries(fromNice));
    expect(entries(fromDirect)).toEqual([
      ['authorization', ['Bearer abc']],
      ['traceparent', ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']],
      ['tracestate', ['vendor=1']],
      ['x-correlation-id', ['corr-1']],
      ['x-trellis-user', ['user-7']],
      ['x-trellis-door', ['fhir']],
      ['x-trellis-gateway-vouch', ['vouch-for-identity']],
      ['x-service-token', ['svc-token']],
    ]);
  });

  it('sends only what the context holds', async () => {
    seen.length = 0;
    await both('', { correlationId: 'corr-2' });
    const [fromNice, fromDirect] = seen;
    expect(entries(fromDirect)).toEqual(entries(fromNice));
    expect(entries(fromDirect)).toEqual([
      ['x-correlation-id', ['corr-2']],
      ['x-service-token', ['svc-token']],
    ]);
  });

  it('rejects with the same decoded rich error, and a plain status the same way', async () => {
    for (const service of ['refuse', 'plain']) {
      const { viaNice, direct } = await both(service, FORWARD);
      expect(direct).toBeInstanceOf(CallFailed);
      expect(direct).toEqual(viaNice);
      expect((direct as CallFailed).decoded).toEqual((viaNice as CallFailed).decoded);
    }
    const { direct } = await both('refuse', FORWARD);
    expect((direct as CallFailed).decoded).toMatchObject({
      code: Status.NOT_FOUND,
      reason: 'PATIENT_NOT_FOUND',
      correlationId: 'corr-42',
      fieldViolations: [{ field: 'nhs_number', rule: 'nhs-number.unknown' }],
    });
  });

  it('answers a missed deadline as DEADLINE_EXCEEDED, as the middleware does', async () => {
    const { viaNice, direct } = await both('hang', FORWARD, 50);
    expect(direct).toEqual(viaNice);
    expect((direct as CallFailed).decoded).toEqual({
      code: Status.DEADLINE_EXCEEDED,
      message: 'Deadline exceeded after 50 ms',
      fieldViolations: [],
    });
  });

  it('reports an unreachable platform as UNAVAILABLE, as the middleware does', async () => {
    const probe = createServer();
    const gone = `127.0.0.1:${await probe.listen('127.0.0.1:0')}`;
    await probe.shutdown();
    const { viaNice, direct } = await both('', FORWARD, undefined, gone);
    expect((direct as CallFailed).decoded.code).toBe(Status.UNAVAILABLE);
    expect((direct as CallFailed).decoded.code).toBe((viaNice as CallFailed).decoded.code);
  });

  it('rejects, without calling, a context holding a header gRPC cannot carry', async () => {
    seen.length = 0;
    const { viaNice, direct } = await both('', { ...FORWARD, tracestate: 'vendor=é' });
    expect(viaNice).toBeInstanceOf(Error);
    expect(viaNice).not.toBeInstanceOf(CallFailed);
    expect(direct).toBeInstanceOf(Error);
    expect(direct).not.toBeInstanceOf(CallFailed);
    expect(String(direct)).toMatch(/illegal characters/);
    expect(seen).toHaveLength(0);
  });

  describe('typedClient with `direct`', () => {
    /** The grpc-js client instance each unary call of `run` was made on. */
    async function callersOf(run: () => Promise<unknown>): Promise<unknown[]> {
      const spy = jest.spyOn(GrpcClient.prototype, 'makeUnaryRequest');
      try {
        await run();
        return spy.mock.contexts;
      } finally {
        spy.mockRestore();
      }
    }

    it('calls grpc-js directly with only forward and deadlineMs, nice-grpc otherwise', async () => {
      const channel = grpcChannel(address);
      let on = true;
      const client = typedClient(Health, channel, { ...OPTIONS, direct: () => on });
      try {
        const onHeader = jest.fn();
        const [viaNice] = await callersOf(() => client.check({ service: '' }, { onHeader }));
        expect(onHeader).toHaveBeenCalledTimes(1);
        const [direct, bare] = await callersOf(async () => {
          await client.check({ service: '' }, { forward: FORWARD, deadlineMs: 1000 });
          await client.check({ service: '' });
        });
        expect(direct).toBeDefined();
        expect(direct).not.toBe(viaNice);
        expect(bare).toBe(direct);
        on = false;
        const [switchedOff] = await callersOf(() => client.check({ service: '' }, {}));
        expect(switchedOff).toBe(viaNice);
      } finally {
        channel.close();
      }
    });

    it('sends explicit metadata through the middleware, first, as the middleware does', async () => {
      seen.length = 0;
      const channel = grpcChannel(address);
      const client = typedClient(Health, channel, { ...OPTIONS, direct: true });
      try {
        const metadata = Metadata({ 'x-explicit': 'yes' });
        await client.check({ service: '' }, { metadata, forward: { correlationId: 'corr-3' } });
        expect(entries(seen[0])).toEqual([
          ['x-explicit', ['yes']],
          ['x-correlation-id', ['corr-3']],
          ['x-service-token', ['svc-token']],
        ]);
      } finally {
        channel.close();
      }
    });

    it('leaves streaming methods to nice-grpc and its middleware', async () => {
      const channel = grpcChannel(address);
      const client = typedClient(Health, channel, { ...OPTIONS, direct: true });
      try {
        const stream = client.watch({ service: '' });
        await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow(
          'Watch: only unary calls go through the forwarding middleware',
        );
      } finally {
        channel.close();
      }
    });
  });
});
