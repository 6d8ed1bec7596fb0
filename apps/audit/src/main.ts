// audit store entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';

import { createAuditModule } from './app/app.module';
import { auditConfigSchema } from './app/config';

void runService({
  name: 'audit',
  module: createAuditModule(),
  config: auditConfigSchema,
  grpc: { packages: ['trellis.audit.v1'], protoFiles: ['trellis/audit/v1/audit.proto'] },
});
