import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { PROTO_ROOT } from '@trellis/contracts';
import { loadProtoPackageDefinition } from './loader';

/**
 * Options for a Nest gRPC client (ClientsModule.register / ClientProxyFactory) with the same
 * loader settings and null-normalisation as the servers, so responses match ts-proto types:
 *   ClientsModule.register([{ name: IDENTITY, ...grpcClientOptions({ url, packages: ['trellis.identity.v1'],
 *     protoFiles: ['trellis/identity/v1/identity.proto'] }) }])
 */
export function grpcClientOptions(options: {
  url: string;
  packages: string[];
  protoFiles: string[];
  protoRoot?: string;
}): { transport: Transport.GRPC; options: GrpcOptions['options'] } {
  return {
    transport: Transport.GRPC,
    options: {
      url: options.url,
      package: options.packages,
      packageDefinition: loadProtoPackageDefinition(
        options.protoFiles,
        options.protoRoot ?? PROTO_ROOT,
      ),
    },
  };
}
