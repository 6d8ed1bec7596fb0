// Bootstrap only: telemetry first (import order is evaluation order), then Nest, then listen.
import './instrument';

import { runService } from '@trellis/platform';

import { gatewayEnvSchema } from './app/config/gateway.config';
import { GatewayModule } from './app/gateway.module';

void runService({
  name: 'gateway',
  module: GatewayModule,
  config: gatewayEnvSchema,
  grpc: { packages: ['trellis.gateway.v1'], protoFiles: ['trellis/gateway/v1/gateway.proto'] },
});
