// conformance service entry point: telemetry first (./instrument), then Nest. Consumes the access
// and conformance streams into counters and serves the scorecards over gRPC.
import './instrument';
import { runService } from '@trellis/service-kit';

import { ConformanceModule } from './app/app.module';
import { conformanceConfigSchema } from './app/config';

void runService({
  name: 'conformance',
  module: ConformanceModule,
  config: conformanceConfigSchema,
  grpc: {
    packages: ['trellis.conformance.v1'],
    protoFiles: ['trellis/conformance/v1/conformance.proto'],
  },
});
