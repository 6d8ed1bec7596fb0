import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };
export type {
  Acknowledgement as AcknowledgementRow,
  Report as ReportRow,
  ReportVersion as ReportVersionRow,
} from '../generated/prisma/client';

export const PRISMA = Symbol('results.prisma');
