// results service entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';

import { createResultsModule } from './app/app.module';
import { resultsConfigSchema } from './app/config';

void runService({
  name: 'results',
  module: createResultsModule(),
  config: resultsConfigSchema,
  grpc: { packages: ['trellis.results.v1'], protoFiles: ['trellis/results/v1/results.proto'] },
});
