// referrals service entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';

import { createReferralsModule } from './app/app.module';
import { referralsConfigSchema } from './app/config';

void runService({
  name: 'referrals',
  module: createReferralsModule(),
  config: referralsConfigSchema,
  grpc: {
    packages: ['trellis.referrals.v1'],
    protoFiles: ['trellis/referrals/v1/referrals.proto'],
  },
});
