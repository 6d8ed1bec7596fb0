import { Inject, Injectable } from '@nestjs/common';

import {
  Prisma,
  type ConformanceCertificate,
  type ConformanceSession,
  type ConformanceTestReport,
  type PrismaClient,
  type SessionExchange,
} from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { type Exchange, type FaultKind } from './exchange';

export type SessionRow = ConformanceSession;
export type CertificateRow = ConformanceCertificate;
export type TestReportRow = ConformanceTestReport;

/** The product behind a version (supplier, name, role). */
export interface ProductOfVersion {
  productVersionId: string;
  productId: string;
  supplier: string;
  product: string;
  version: string;
  role: string;
}

/** The only place the certification context talks to Prisma. */
@Injectable()
export class CertificationRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  async productOf(productVersionId: string): Promise<ProductOfVersion | undefined> {
    const v = await this.prisma.productVersion.findUnique({
      where: { id: productVersionId },
      include: { product: true },
    });
    if (!v) return undefined;
    return {
      productVersionId: v.id,
      productId: v.productId,
      supplier: v.product.supplier,
      product: v.product.name,
      version: v.version,
      // the Prisma enum spells roles with _ (gp_system); the platform with - (gp-system)
      role: v.product.role.replace(/_/g, '-'),
    };
  }

  /** Opens a session unless the system has one open (serialised per system by a row lock). */
  async openSession(s: {
    id: string;
    systemId: string;
    productVersionId: string;
    role: string;
    rulesVersion: string;
    retryAfterSeconds: number;
  }): Promise<SessionRow | { open: SessionRow }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM connected_systems WHERE id = ${s.systemId} FOR UPDATE`;
      const open = await tx.conformanceSession.findFirst({
        where: { systemId: s.systemId, status: 'open' },
      });
      if (open) return { open };
      return tx.conformanceSession.create({ data: { ...s, status: 'open' } });
    });
  }

  findOpenSession(systemId: string): Promise<SessionRow | null> {
    return this.prisma.conformanceSession.findFirst({ where: { systemId, status: 'open' } });
  }

  findSession(id: string): Promise<SessionRow | null> {
    return this.prisma.conformanceSession.findUnique({ where: { id } });
  }

  /** Records a request on arrival (status -1 until answered); returns its seq and how many
   * earlier requests of the scenario had the same method and a path matching `path`. */
  async arrive(
    sessionId: string,
    x: Pick<
      Exchange,
      'scenario' | 'method' | 'path' | 'query' | 'ifMatch' | 'ifNoneExist' | 'key'
    > & { at: Date },
    path: RegExp | undefined,
  ): Promise<{ seq: number; earlier: number }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.prisma.$transaction(async (tx) => {
          const last = await tx.sessionExchange.aggregate({
            where: { sessionId },
            _max: { seq: true },
          });
          const seq = (last._max.seq ?? 0) + 1;
          const same = path
            ? await tx.sessionExchange.findMany({
                where: { sessionId, scenario: x.scenario, method: x.method },
                select: { path: true },
              })
            : [];
          await tx.sessionExchange.create({
            data: { sessionId, seq, ...x, status: -1, doneAt: x.at },
          });
          return { seq, earlier: path ? same.filter((e) => path.test(e.path)).length : 0 };
        });
      } catch (err) {
        if (attempt < 5 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async answered(
    sessionId: string,
    seq: number,
    a: {
      status: number;
      fault: FaultKind | null;
      resourceId: string | null;
      retryAfter: number | null;
      doneAt: Date;
    },
  ): Promise<void> {
    await this.prisma.sessionExchange.update({
      where: { sessionId_seq: { sessionId, seq } },
      data: a,
    });
  }

  exchanges(sessionId: string): Promise<SessionExchange[]> {
    return this.prisma.sessionExchange.findMany({ where: { sessionId }, orderBy: { seq: 'asc' } });
  }

  /** The first resource id a scenario's successful POST to `path` answered (for fault text). */
  async firstCreated(sessionId: string, scenario: string, path: string): Promise<string | null> {
    const x = await this.prisma.sessionExchange.findFirst({
      where: { sessionId, scenario, method: 'POST', path, fault: null, resourceId: { not: null } },
      orderBy: { seq: 'asc' },
    });
    return x?.resourceId ?? null;
  }

  /** Closes the session with its reports and (when every scenario passed) its certificate. */
  async close(c: {
    sessionId: string;
    result: 'pass' | 'fail';
    reports: Array<{ id: string; scenario: string; result: string; resource: object }>;
    certificate?: Omit<CertificateRow, 'statusChangedAt' | 'statusReason'>;
    issuedAt: Date;
  }): Promise<SessionRow | 'not-open'> {
    return this.prisma.$transaction(async (tx) => {
      const closed = await tx.conformanceSession.updateMany({
        where: { id: c.sessionId, status: 'open' },
        data: {
          status: 'closed',
          closedAt: c.issuedAt,
          result: c.result,
          certificateId: c.certificate?.id ?? null,
        },
      });
      if (closed.count === 0) return 'not-open';
      await tx.conformanceTestReport.createMany({
        data: c.reports.map((r) => ({
          ...r,
          sessionId: c.sessionId,
          resource: r.resource as Prisma.InputJsonValue,
          issuedAt: c.issuedAt,
        })),
      });
      if (c.certificate) {
        // a new certificate supersedes the version's earlier ones for the role
        await tx.conformanceCertificate.updateMany({
          where: {
            productVersionId: c.certificate.productVersionId,
            role: c.certificate.role,
            status: { in: ['active', 'suspended'] },
          },
          data: {
            status: 'superseded',
            statusReason: `superseded by ${c.certificate.id}`,
            statusChangedAt: c.issuedAt,
          },
        });
        await tx.conformanceCertificate.create({ data: c.certificate });
      }
      return (await tx.conformanceSession.findUnique({ where: { id: c.sessionId } }))!;
    });
  }

  findReport(id: string): Promise<TestReportRow | null> {
    return this.prisma.conformanceTestReport.findUnique({ where: { id } });
  }

  reportsOf(sessionId: string): Promise<TestReportRow[]> {
    return this.prisma.conformanceTestReport.findMany({
      where: { sessionId },
      orderBy: { scenario: 'asc' },
    });
  }

  findCertificate(id: string): Promise<CertificateRow | null> {
    return this.prisma.conformanceCertificate.findUnique({ where: { id } });
  }

  certificates(filter: { productVersionId?: string; status?: string }): Promise<CertificateRow[]> {
    return this.prisma.conformanceCertificate.findMany({
      where: {
        ...(filter.productVersionId ? { productVersionId: filter.productVersionId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      orderBy: [{ issuedAt: 'desc' }, { id: 'asc' }],
      take: 1000,
    });
  }

  /** The system's lifecycle state (issue 18; `live` is production). */
  async lifecycleOf(systemId: string): Promise<string> {
    const row = await this.prisma.connectedSystem.findUnique({
      where: { id: systemId },
      select: { lifecycle: true },
    });
    return row?.lifecycle ?? 'registered';
  }

  /** Revokes a certificate (the operator's decision); false when unknown or already revoked. */
  async revoke(id: string, reason: string): Promise<boolean> {
    const r = await this.prisma.conformanceCertificate.updateMany({
      where: { id, status: { not: 'revoked' } },
      data: { status: 'revoked', statusReason: reason.slice(0, 500), statusChangedAt: new Date() },
    });
    return r.count === 1;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
