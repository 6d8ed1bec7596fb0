// What tools outside the service (benchmarks under tools/bench) may use of appointments: its one public
// entry point, so nothing reaches into apps/appointments/src by a relative path.

export { createAppointmentsModule } from './app/app.module';
export { BookingRepository } from './app/booking/booking.repository';
export { BookingService } from './app/booking/booking.service';
export { appointmentsConfigSchema } from './app/config';
export { AppointmentsErrorCode, patientDirectoryErrors } from './app/domain/appointments.errors';
export { systemClock } from './app/domain/ports';
export { PrismaClient } from './app/prisma';
export { SchedulingRepository } from './app/scheduling/scheduling.repository';
export { SchedulingService } from './app/scheduling/scheduling.service';
export { OutboxAppointmentEventSink } from './events/outbox-appointment-event-sink';
