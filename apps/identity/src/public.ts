// What tools outside the service (benchmarks under tools/bench) may use of identity: its one public
// entry point, so nothing reaches into apps/identity/src by a relative path.

export { seed } from './seed/seed';
export { seedFaker, syntheticPerson } from './seed/synthetic';
// the registration bench (tools/bench/identity/register.ts) runs the real registration in-process
export { OutboxPatientEventSink } from './events/patient-events';
export { PatientsRepository } from './app/patients/patients.repository';
export { PatientsService } from './app/patients/patients.service';
export { PrismaClient } from './generated/prisma/client';
