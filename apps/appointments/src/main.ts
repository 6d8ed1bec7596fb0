// appointments service entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';

import { createAppointmentsModule } from './app/app.module';
import { appointmentsConfigSchema } from './app/config';

void runService({
  name: 'appointments',
  module: createAppointmentsModule(),
  config: appointmentsConfigSchema,
  grpc: {
    packages: ['trellis.appointments.v1'],
    protoFiles: ['trellis/appointments/v1/appointments.proto'],
  },
});
