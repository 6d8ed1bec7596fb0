import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };
export type {
  Appointment as AppointmentRow,
  Schedule as ScheduleRow,
  Slot as SlotRow,
} from '../generated/prisma/client';

/** A Prisma client or an interactive transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;

export const PRISMA = Symbol('appointments.prisma');
