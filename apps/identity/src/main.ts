// identity service entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';
import { createIdentityModule } from './app/app.module';
import { identityConfigSchema } from './app/config';

void runService({
  name: 'identity',
  module: createIdentityModule(),
  config: identityConfigSchema,
  grpc: {
    packages: ['trellis.identity.v1', 'trellis.records.v1'],
    protoFiles: ['trellis/identity/v1/identity.proto', 'trellis/records/v1/records.proto'],
  },
});
