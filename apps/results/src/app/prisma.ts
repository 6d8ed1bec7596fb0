import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };
export type {
  Acknowledgement as AcknowledgementRow,
  Report as ReportRow,
  ReportVersion as ReportVersionRow,
} from '../generated/prisma/client';

/** A Prisma client or an interactive transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;

export const PRISMA = Symbol('results.prisma');
