// What tools outside the service (benchmarks under tools/bench) may use of notifications: its one public
// entry point, so nothing reaches into apps/notifications/src by a relative path.

export { PrismaClient } from './app/prisma';
