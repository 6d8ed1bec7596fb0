// What tools outside the service (benchmarks under tools/bench) may use of conformance: its one public
// entry point, so nothing reaches into apps/conformance/src by a relative path.

export { PrismaClient } from './generated/prisma/client';
