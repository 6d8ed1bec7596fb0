import { join } from 'node:path';

import {
  credentials,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ClientDuplexStream,
  type GrpcObject,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { FileDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';

import { HEALTH_PROTO } from './loader';
import { createReflectionService, reflectionPackageDefinition } from './reflection';

interface ReflectionResponse {
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  listServicesResponse?: { service: Array<{ name: string }> };
  errorResponse?: { errorCode: number; errorMessage: string };
}
type ReflectionStream = ClientDuplexStream<Record<string, unknown>, ReflectionResponse>;

/** A reflection v1 client, as grpcurl speaks it: one request, one answer. */
function reflectionClient(address: string) {
  const protoPath = join(
    require.resolve('@grpc/reflection/package.json'),
    '../build/proto/grpc/reflection/v1/reflection.proto',
  );
  const pkg = loadPackageDefinition(loadSync(protoPath, { keepCase: false, defaults: true }));
  const reflection = (pkg['grpc'] as GrpcObject)['reflection'] as GrpcObject;
  const Ctor = (reflection['v1'] as GrpcObject)['ServerReflection'] as unknown as new (
    a: string,
    c: ReturnType<typeof credentials.createInsecure>,
  ) => { serverReflectionInfo(): ReflectionStream; close(): void };
  const client = new Ctor(address, credentials.createInsecure());
  const ask = (request: Record<string, unknown>) =>
    new Promise<ReflectionResponse>((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on('data', (r: ReflectionResponse) => {
        resolve(r);
        call.end();
      });
      call.on('error', reject);
      call.write(request);
    });
  return { ask, close: () => client.close() };
}

/** Every type a file references is declared in the file itself or in one of its imports. */
function unresolved(
  file: IFileDescriptorProto,
  byName: Map<string, IFileDescriptorProto>,
): string[] {
  const declared = new Set<string>();
  const declare = (f: IFileDescriptorProto) => {
    const walk = (
      m: { name?: string; nestedType?: unknown[]; enumType?: Array<{ name?: string }> },
      prefix: string,
    ) => {
      const fqn = `${prefix}.${m.name ?? ''}`;
      declared.add(fqn);
      for (const e of m.enumType ?? []) declared.add(`${fqn}.${e.name ?? ''}`);
      for (const n of (m.nestedType ?? []) as Array<typeof m>) walk(n, fqn);
    };
    for (const m of f.messageType ?? []) walk(m, `.${f.package ?? ''}`);
    for (const e of f.enumType ?? []) declared.add(`.${f.package ?? ''}.${e.name ?? ''}`);
  };
  declare(file);
  for (const dep of (file.dependency ?? []) as string[]) {
    const d = byName.get(dep);
    if (d) declare(d);
  }
  const refs: string[] = [];
  for (const m of file.messageType ?? [])
    for (const f of m.field ?? []) if (f.typeName) refs.push(f.typeName);
  for (const s of file.service ?? [])
    for (const m of s.method ?? []) refs.push(m.inputType ?? '', m.outputType ?? '');
  return refs.filter((r) => r.startsWith('.') && !declared.has(r));
}

describe('gRPC server reflection (what grpcurl describe needs)', () => {
  let server: Server;
  let address: string;

  beforeAll(async () => {
    const def = reflectionPackageDefinition(['trellis/results/v1/results.proto', HEALTH_PROTO]);
    server = new Server();
    createReflectionService(def).addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  it('lists the services', async () => {
    const client = reflectionClient(address);
    try {
      const r = await client.ask({ listServices: '*' });
      expect(r.listServicesResponse!.service.map((s) => s.name)).toEqual(
        expect.arrayContaining(['trellis.results.v1.ReportService', 'grpc.health.v1.Health']),
      );
    } finally {
      client.close();
    }
  });

  it.each([
    'trellis.results.v1.ReportService',
    'google.protobuf.Timestamp',
    'trellis.common.v1.OrganisationRef',
  ])('describes %s with every referenced type resolvable through the imports', async (symbol) => {
    const client = reflectionClient(address);
    try {
      const r = await client.ask({ fileContainingSymbol: symbol });
      expect(r.errorResponse).toBeUndefined();
      const files = r.fileDescriptorResponse!.fileDescriptorProto.map(
        (b) => FileDescriptorProto.decode(b) as unknown as IFileDescriptorProto,
      );
      const byName = new Map(files.map((f) => [f.name!, f]));
      // every import is answered (the client asks no further) and every reference resolves
      for (const f of files) {
        expect({
          file: f.name,
          missing: ((f.dependency ?? []) as string[]).filter((d) => !byName.has(d)),
        }).toEqual({ file: f.name, missing: [] });
        expect({ file: f.name, unresolved: unresolved(f, byName) }).toEqual({
          file: f.name,
          unresolved: [],
        });
      }
      if (symbol === 'trellis.common.v1.OrganisationRef') {
        // field names as written in the .proto (the contract), not the serving loader's camelCase
        const ref = files[0]!.messageType!.find((m) => m.name === 'OrganisationRef')!;
        expect(ref.field!.map((f) => f.name)).toContain('ods_code');
      }
      if (symbol === 'trellis.results.v1.ReportService') {
        const service = files[0]!;
        const imported = new Set((service.dependency ?? []) as string[]);
        const declaring = (fqn: string) =>
          files.find((f) =>
            (f.messageType ?? []).some((m) => `${f.package ?? ''}.${m.name ?? ''}` === fqn),
          )?.name;
        expect(imported.has(declaring('google.protobuf.Timestamp')!)).toBe(true);
        expect(imported.has(declaring('trellis.common.v1.OrganisationRef')!)).toBe(true);
      }
    } finally {
      client.close();
    }
  });
});
