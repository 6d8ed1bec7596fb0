// What tools outside the service (benchmarks under tools/bench) may use of audit: its one public
// entry point, so nothing reaches into apps/audit/src by a relative path.

export { AuditService } from './app/audit/audit.service';
export { PrismaClient } from './app/prisma';
export { AccessEventsRepository } from './app/store/access-events.repository';
export { MaintenanceRepository } from './app/store/maintenance.repository';
export { maintainPartitions } from './app/store/partitions';
