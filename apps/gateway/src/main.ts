// Bootstrap only: telemetry first (import order is evaluation order), then Nest, then listen.
import './instrument';

import { runService } from '@trellis/service-kit';

import { gatewayEnvSchema } from './app/config/gateway.config';
import { GatewayModule } from './app/gateway.module';

void runService({
  name: 'gateway',
  module: GatewayModule,
  config: gatewayEnvSchema,
  // bodies are parsed per route, bounded: /fhir (fhirBodyMiddleware), /oauth2/token (form only)
  bodyParser: false,
  grpc: {
    packages: ['trellis.gateway.v1'],
    protoFiles: ['trellis/gateway/v1/gateway.proto', 'trellis/gateway/v1/certification.proto'],
  },
});
