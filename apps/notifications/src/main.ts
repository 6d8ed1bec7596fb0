// notifications entry point: telemetry first (./instrument), then Nest.
import './instrument';
import { runService } from '@trellis/service-kit';

import { createNotificationsModule } from './app/app.module';
import { notificationsConfigSchema } from './app/config';

void runService({
  name: 'notifications',
  module: createNotificationsModule(),
  config: notificationsConfigSchema,
  grpc: {
    packages: ['trellis.notifications.v1'],
    protoFiles: ['trellis/notifications/v1/notifications.proto'],
  },
});
