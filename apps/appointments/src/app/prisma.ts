import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };
export type {
  Appointment as AppointmentRow,
  Schedule as ScheduleRow,
  Slot as SlotRow,
} from '../generated/prisma/client';

export const PRISMA = Symbol('appointments.prisma');
