// router service entry point: telemetry first (./instrument), then Nest. No gRPC API of its own:
// the gRPC server carries grpc.health.v1 (and reflection) only.
import './instrument';
import { runService } from '@trellis/service-kit';

import { RouterModule } from './app/app.module';
import { routerConfigSchema } from './app/config';

void runService({
  name: 'router',
  module: RouterModule,
  config: routerConfigSchema,
  grpc: { packages: [], protoFiles: [] },
});
