import * as grpc from '@grpc/grpc-js';

import {
  HEALTH_CHECK_PATH,
  ServingStatus,
  checkHealth,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  parseArgs,
  run,
} from './grpc-health-check';

/** A real grpc-js server exposing grpc.health.v1.Health/Check with a status per service name. */
async function startHealthServer(
  statuses: Record<string, ServingStatus>,
): Promise<{ target: string; stop: () => void }> {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Check: {
      path: HEALTH_CHECK_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: encodeHealthCheckRequest,
      // an object, as protobuf decoders return (grpc-js treats a falsy message as missing)
      requestDeserialize: (buf: Buffer) => ({ service: decodeHealthCheckRequest(buf) }),
      responseSerialize: encodeHealthCheckResponse,
      responseDeserialize: decodeHealthCheckResponse,
      originalName: 'check',
    },
  };
  const check: grpc.handleUnaryCall<{ service: string }, ServingStatus> = (call, callback) => {
    const status = statuses[call.request.service];
    if (status === undefined)
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
    else callback(null, status);
  };
  server.addService(definition, { Check: check });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { target: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

describe('grpc.health.v1 wire format', () => {
  it('encodes the request like protobuf (field 1, length-delimited) and round-trips it', () => {
    expect(encodeHealthCheckRequest('')).toEqual(Buffer.alloc(0));
    expect(encodeHealthCheckRequest('trellis.identity.v1.PatientService')).toEqual(
      Buffer.concat([Buffer.from([0x0a, 34]), Buffer.from('trellis.identity.v1.PatientService')]),
    );
    const long = 'x'.repeat(300); // two-byte varint length
    expect(decodeHealthCheckRequest(encodeHealthCheckRequest(long))).toBe(long);
  });

  it('decodes every serving status and ignores unknown fields', () => {
    expect(decodeHealthCheckResponse(Buffer.from([0x08, 0x01]))).toBe('SERVING');
    expect(decodeHealthCheckResponse(Buffer.from([0x08, 0x02]))).toBe('NOT_SERVING');
    expect(decodeHealthCheckResponse(Buffer.alloc(0))).toBe('UNKNOWN');
    expect(decodeHealthCheckResponse(Buffer.from([0x12, 0x01, 0x41, 0x08, 0x03]))).toBe(
      'SERVICE_UNKNOWN',
    );
    expect(() => decodeHealthCheckResponse(Buffer.from([0x08]))).toThrow('truncated varint');
  });
});

describe('parseArgs', () => {
  it('reads options and host:port targets', () => {
    expect(parseArgs(['--timeout-ms=250', '--service=x', 'a-gateway:50051', '10.0.0.1:1'])).toEqual(
      {
        service: 'x',
        timeoutMs: 250,
        targets: ['a-gateway:50051', '10.0.0.1:1'],
      },
    );
  });

  it.each([[[]], [['--timeout-ms=0', 'a:1']], [['--bogus', 'a:1']], [['no-port']]])(
    'refuses %j',
    (argv) => {
      expect(() => parseArgs(argv)).toThrow();
    },
  );
});

describe('against a real gRPC server', () => {
  let server: { target: string; stop: () => void };
  beforeAll(async () => {
    server = await startHealthServer({ '': 'SERVING', 'trellis.down': 'NOT_SERVING' });
  });
  afterAll(() => server.stop());

  it('reports SERVING for the whole server', async () => {
    await expect(checkHealth(server.target, '', 2000)).resolves.toEqual({
      target: server.target,
      ok: true,
      detail: 'SERVING',
    });
  });

  it('fails on NOT_SERVING and on gRPC errors', async () => {
    await expect(checkHealth(server.target, 'trellis.down', 2000)).resolves.toMatchObject({
      ok: false,
      detail: 'NOT_SERVING',
    });
    await expect(checkHealth(server.target, 'nope', 2000)).resolves.toMatchObject({
      ok: false,
      detail: expect.stringContaining('NOT_FOUND'),
    });
  });

  it('exits 0 only when every target is SERVING', async () => {
    const lines: string[] = [];
    await expect(run([server.target], (l) => lines.push(l))).resolves.toBe(0);
    expect(lines).toEqual([`ok   ${server.target} SERVING`]);
    // a closed port: connection refused before the deadline
    await expect(
      run(['--timeout-ms=1000', server.target, '127.0.0.1:1'], (l) => lines.push(l)),
    ).resolves.toBe(1);
    await expect(run(['--service=trellis.down', server.target], () => undefined)).resolves.toBe(1);
    await expect(run([], () => undefined)).resolves.toBe(2);
  });
});
