import { Prisma, PrismaClient } from '../generated/prisma/client';

export { Prisma, PrismaClient };

export const PRISMA = Symbol('notifications.prisma');
