import { PrismaRepository, REQUEST_TRANSACTION_LIMITS } from '@trellis/database';
import { patientBatchFindArgs, type PatientBatchQuery } from '@trellis/service-kit';
import type { Acknowledgement, ReportContent, Severity } from './report-types';
import { Prisma, type AcknowledgementRow, type PrismaClient, type ReportRow } from '../prisma';
import type { Cursor } from '../domain/page-token';

/** Interactive transactions of the reports: bounded wait for a connection and run time. */

export interface VersionWrite {
  reportId: string;
  version: number;
  content: ReportContent;
  hash: string;
  severity: Severity;
  reason: string | null;
  submittedBy: string;
  receivedAt: Date;
  labRegion: string;
}

export interface SearchFilter {
  organisation: string;
  nhsNumber?: string;
  category?: string;
  code?: string;
  issuedFrom?: Date;
  issuedTo?: Date;
  statuses?: string[];
  /** With labReportId: only the caller's own lab's report of that id (the unique key). */
  labReportId?: string;
  /**
   * The caller is the registered GP practice of `nhsNumber` (checked with identity): every report
   * of that patient is visible, not only those the practice requested or performed.
   */
  registeredGp?: boolean;
}

/** The only place that talks to PostgreSQL for reports. */
export class ReportsRepository extends PrismaRepository<PrismaClient> {
  protected override readonly transactionOptions = REQUEST_TRANSACTION_LIMITS;
  /** Bulk export: a batch of patients' reports, keyset-paged by id (latest version's receipt as "since"). */
  forPatients(q: PatientBatchQuery): Promise<ReportRow[]> {
    return this.db.report.findMany(patientBatchFindArgs(q, 'receivedAt'));
  }
  /**
   * A new report, its version 1 and its observations in ONE statement (data-modifying CTEs; the
   * foreign keys are checked at the end of the statement). INSERT ... ON CONFLICT DO NOTHING on
   * (lab_ods_code, lab_report_id): returns the row when this call created it, null when a report
   * with that identifier exists (a concurrent submitter waits here for the first to commit).
   */
  async insertNewReport(w: VersionWrite): Promise<ReportRow | null> {
    const r = reportRow(w);
    const obs = w.content.observations;
    const value = <T>(f: (o: (typeof obs)[number]) => T) => obs.map(f);
    const rows = await this.db.$queryRaw<{ n: number }[]>`
      WITH r AS (
        INSERT INTO reports (id, lab_ods_code, lab_report_id, lab_region, nhs_number, category, code_system, code,
                             code_display, status, version, requester_ods_code, requester_region,
                             requester_practitioner_id, referral_id, issued_at, conclusion, content_hash, most_severe,
                             severity_rank, observation_count, abnormal_count, received_at, created_at)
        VALUES (${r.id}::uuid, ${r.labOdsCode}, ${r.labReportId}, ${r.labRegion}, ${r.nhsNumber}, ${r.category},
                ${r.codeSystem}, ${r.code}, ${r.codeDisplay}, ${r.status}, 1, ${r.requesterOdsCode},
                ${r.requesterRegion}, ${r.requesterPractitionerId}, ${r.referralId}, ${r.issuedAt}, ${r.conclusion},
                ${r.contentHash}, ${r.mostSevere}, ${r.severityRank}, ${r.observationCount}, ${r.abnormalCount},
                ${r.receivedAt}, ${r.createdAt})
        ON CONFLICT (lab_ods_code, lab_report_id) DO NOTHING
        RETURNING id
      ), v AS (
        INSERT INTO report_versions (report_id, version, status, content_hash, content, reason, submitted_by, received_at)
        SELECT id, 1, ${r.status}, ${r.contentHash}, ${JSON.stringify(w.content)}::jsonb, ${w.reason},
               ${w.submittedBy}, ${w.receivedAt}
          FROM r
      ), o AS (
        INSERT INTO observations (report_id, version, seq, code, value_kind, value_number, value_unit, value_code,
                                  value_text, interpretation)
        SELECT r.id, 1, x.seq, x.code, x.kind, x.num, x.unit, x.vcode, x.vtext, x.interp
          FROM r, unnest(${obs.map((_, i) => i)}::int[], ${value((o) => o.code.code)}::text[],
                         ${value((o) => o.value.kind)}::text[],
                         ${value((o) => (o.value.kind === 'quantity' ? o.value.value : null))}::float8[],
                         ${value((o) => (o.value.kind === 'quantity' ? o.value.unit : null))}::text[],
                         ${value((o) => (o.value.kind === 'coded' ? o.value.code : null))}::text[],
                         ${value((o) => (o.value.kind === 'text' ? o.value.text : null))}::text[],
                         ${value((o) => o.interpretation ?? '')}::text[])
               AS x(seq, code, kind, num, unit, vcode, vtext, interp)
      )
      SELECT count(*)::int AS n FROM r`;
    return rows[0]?.n === 1 ? r : null;
  }

  /**
   * Many new reports (with version 1 and observations) in one statement: the batch counterpart of
   * insertNewReport. Returns the ids this call created; the others already existed. Callers pass
   * the writes sorted by identifier so concurrent batches take index locks in the same order.
   */
  async insertNewReports(ws: readonly VersionWrite[]): Promise<Set<string>> {
    if (ws.length === 0) return new Set();
    const rs = ws.map(reportRow);
    const col = <T>(f: (r: ReportRow, i: number) => T) => rs.map(f);
    const obs = ws.flatMap((w) =>
      w.content.observations.map((o, seq) => ({ id: w.reportId, seq, o })),
    );
    const oc = <T>(f: (x: (typeof obs)[number]) => T) => obs.map(f);
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      WITH input AS (
        SELECT * FROM unnest(
          ${col((r) => r.id)}::uuid[], ${col((r) => r.labOdsCode)}::text[], ${col((r) => r.labReportId)}::text[],
          ${col((r) => r.labRegion)}::text[], ${col((r) => r.nhsNumber)}::text[], ${col((r) => r.category)}::text[],
          ${col((r) => r.codeSystem)}::text[], ${col((r) => r.code)}::text[], ${col((r) => r.codeDisplay)}::text[],
          ${col((r) => r.status)}::text[], ${col((r) => r.requesterOdsCode)}::text[],
          ${col((r) => r.requesterRegion)}::text[], ${col((r) => r.requesterPractitionerId)}::text[],
          ${col((r) => r.referralId)}::text[], ${col((r) => r.issuedAt)}::timestamptz[],
          ${col((r) => r.conclusion)}::text[], ${col((r) => r.contentHash)}::text[], ${col((r) => r.mostSevere)}::text[],
          ${col((r) => r.severityRank)}::int[], ${col((r) => r.observationCount)}::int[],
          ${col((r) => r.abnormalCount)}::int[], ${col((r) => r.receivedAt)}::timestamptz[],
          ${ws.map((w) => JSON.stringify(w.content))}::text[], ${ws.map((w) => w.submittedBy)}::text[]
        ) AS t(id, lab_ods_code, lab_report_id, lab_region, nhs_number, category, code_system, code, code_display,
               status, requester_ods_code, requester_region, requester_practitioner_id, referral_id, issued_at,
               conclusion, content_hash, most_severe, severity_rank, observation_count, abnormal_count, received_at,
               content, submitted_by)
      ), r AS (
        INSERT INTO reports (id, lab_ods_code, lab_report_id, lab_region, nhs_number, category, code_system, code,
                             code_display, status, version, requester_ods_code, requester_region,
                             requester_practitioner_id, referral_id, issued_at, conclusion, content_hash, most_severe,
                             severity_rank, observation_count, abnormal_count, received_at, created_at)
        SELECT id, lab_ods_code, lab_report_id, lab_region, nhs_number, category, code_system, code, code_display,
               status, 1, requester_ods_code, requester_region, requester_practitioner_id, referral_id, issued_at,
               conclusion, content_hash, most_severe, severity_rank, observation_count, abnormal_count, received_at,
               received_at
          FROM input
        ON CONFLICT (lab_ods_code, lab_report_id) DO NOTHING
        RETURNING id
      ), v AS (
        INSERT INTO report_versions (report_id, version, status, content_hash, content, reason, submitted_by, received_at)
        SELECT i.id, 1, i.status, i.content_hash, i.content::jsonb, NULL, i.submitted_by, i.received_at
          FROM input i JOIN r ON r.id = i.id
      ), o AS (
        INSERT INTO observations (report_id, version, seq, code, value_kind, value_number, value_unit, value_code,
                                  value_text, interpretation)
        SELECT x.id, 1, x.seq, x.code, x.kind, x.num, x.unit, x.vcode, x.vtext, x.interp
          FROM unnest(${oc((x) => x.id)}::uuid[], ${oc((x) => x.seq)}::int[], ${oc((x) => x.o.code.code)}::text[],
                      ${oc((x) => x.o.value.kind)}::text[],
                      ${oc((x) => (x.o.value.kind === 'quantity' ? x.o.value.value : null))}::float8[],
                      ${oc((x) => (x.o.value.kind === 'quantity' ? x.o.value.unit : null))}::text[],
                      ${oc((x) => (x.o.value.kind === 'coded' ? x.o.value.code : null))}::text[],
                      ${oc((x) => (x.o.value.kind === 'text' ? x.o.value.text : null))}::text[],
                      ${oc((x) => x.o.interpretation ?? '')}::text[])
               AS x(id, seq, code, kind, num, unit, vcode, vtext, interp)
          JOIN r ON r.id = x.id
      )
      SELECT id::text AS id FROM r`;
    return new Set(rows.map((r) => r.id));
  }

  /** The report row a write creates (no read-back needed). */
  rowOf(w: VersionWrite): ReportRow {
    return reportRow(w);
  }

  async insertVersion(w: VersionWrite): Promise<void> {
    await this.db.reportVersion.create({
      data: {
        reportId: w.reportId,
        version: w.version,
        status: w.content.status,
        contentHash: w.hash,
        content: w.content as unknown as Prisma.InputJsonValue,
        reason: w.reason,
        submittedBy: w.submittedBy,
        receivedAt: w.receivedAt,
      },
    });
    if (w.content.observations.length === 0) return;
    await this.db.observationRow.createMany({
      data: w.content.observations.map((o, seq) => ({
        reportId: w.reportId,
        version: w.version,
        seq,
        code: o.code.code,
        valueKind: o.value.kind,
        valueNumber: o.value.kind === 'quantity' ? o.value.value : null,
        valueUnit: o.value.kind === 'quantity' ? o.value.unit : null,
        valueCode: o.value.kind === 'coded' ? o.value.code : null,
        valueText: o.value.kind === 'text' ? o.value.text : null,
        interpretation: o.interpretation ?? '',
      })),
    });
  }

  /** Moves the report's "latest" row to a new version (the caller holds the row lock). */
  async updateLatest(w: VersionWrite): Promise<ReportRow> {
    const { id: _id, labOdsCode: _l, labReportId: _r, createdAt: _c, ...rest } = reportRow(w);
    return this.db.report.update({ where: { id: w.reportId }, data: rest });
  }

  findByLabId(labOdsCode: string, labReportId: string): Promise<ReportRow | null> {
    return this.db.report.findUnique({
      where: { labOdsCode_labReportId: { labOdsCode, labReportId } },
    });
  }

  findManyByLabIds(labOdsCode: string, labReportIds: string[]): Promise<ReportRow[]> {
    if (labReportIds.length === 0) return Promise.resolve([]);
    return this.db.report.findMany({ where: { labOdsCode, labReportId: { in: labReportIds } } });
  }

  findById(id: string): Promise<ReportRow | null> {
    return this.db.report.findUnique({ where: { id } });
  }

  /** SELECT ... FOR UPDATE: serialises version writers of one report. */
  async lock(id: string): Promise<ReportRow | null> {
    await this.db.$queryRaw`SELECT id FROM reports WHERE id = ${id}::uuid FOR UPDATE`;
    return this.db.report.findUnique({ where: { id } });
  }

  async hasVersionWithHash(reportId: string, hash: string): Promise<boolean> {
    const v = await this.db.reportVersion.findFirst({
      where: { reportId, contentHash: hash },
      select: { version: true },
    });
    return v !== null;
  }

  async version(
    reportId: string,
    version: number,
  ): Promise<{
    content: ReportContent;
    reason: string | null;
    receivedAt: Date;
    hash: string;
  } | null> {
    const v = await this.db.reportVersion.findUnique({
      where: { reportId_version: { reportId, version } },
    });
    return v
      ? {
          content: v.content as unknown as ReportContent,
          reason: v.reason,
          receivedAt: v.receivedAt,
          hash: v.contentHash,
        }
      : null;
  }

  async versions(reportId: string): Promise<
    {
      version: number;
      content: ReportContent;
      reason: string | null;
      receivedAt: Date;
      hash: string;
    }[]
  > {
    const rows = await this.db.reportVersion.findMany({
      where: { reportId },
      orderBy: { version: 'asc' },
    });
    return rows.map((v) => ({
      version: v.version,
      content: v.content as unknown as ReportContent,
      reason: v.reason,
      receivedAt: v.receivedAt,
      hash: v.contentHash,
    }));
  }

  async contents(keys: { id: string; version: number }[]): Promise<Map<string, ReportContent>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.reportVersion.findMany({
      where: { OR: keys.map((k) => ({ reportId: k.id, version: k.version })) },
      select: { reportId: true, content: true },
    });
    return new Map(rows.map((r) => [r.reportId, r.content as unknown as ReportContent]));
  }

  async acknowledgements(rows: ReportRow[]): Promise<Map<string, Acknowledgement>> {
    const acked = rows.filter(
      (r) => r.acknowledgedVersion !== null && r.acknowledgedVersion === r.version,
    );
    if (acked.length === 0) return new Map();
    const acks = await this.db.acknowledgement.findMany({
      where: { OR: acked.map((r) => ({ reportId: r.id, version: r.version })) },
    });
    return new Map(acks.map((a) => [a.reportId, ackOf(a)]));
  }

  async insertAcknowledgement(a: Acknowledgement & { reportId: string }): Promise<boolean> {
    const { count } = await this.db.acknowledgement.createMany({
      data: [
        {
          reportId: a.reportId,
          version: a.version,
          odsCode: a.odsCode,
          systemId: a.systemId,
          userId: a.userId ?? null,
          note: a.note || null,
          acknowledgedAt: a.acknowledgedAt,
        },
      ],
      skipDuplicates: true,
    });
    if (count === 1)
      await this.db.report.update({
        where: { id: a.reportId },
        data: { acknowledgedVersion: a.version, acknowledgedAt: a.acknowledgedAt },
      });
    return count === 1;
  }

  async acknowledgement(reportId: string, version: number): Promise<Acknowledgement | null> {
    const a = await this.db.acknowledgement.findUnique({
      where: { reportId_version: { reportId, version } },
    });
    return a ? ackOf(a) : null;
  }

  /** Latest versions visible to an organisation, newest issued first (keyset on issued_at, id). */
  search(f: SearchFilter, cursor: Cursor | undefined, limit: number): Promise<ReportRow[]> {
    const conds = this.conditions(f);
    if (cursor)
      conds.push(
        Prisma.sql`(r.issued_at, r.id) < (${new Date(cursor.t)}::timestamptz, ${cursor.i}::uuid)`,
      );
    const where = conds.length > 0 ? Prisma.sql`AND ${Prisma.join(conds, ' AND ')}` : Prisma.empty;
    if (f.registeredGp && f.nhsNumber)
      return this.db.$queryRaw<ReportRow[]>`
        SELECT ${COLUMNS} FROM reports r WHERE true ${where}
         ORDER BY r.issued_at DESC, r.id DESC LIMIT ${limit}`;
    // Visible = the caller is the requester OR the lab. One branch per role (UNION dedupes a lab
    // that requested its own test), each an index-ordered scan with its own LIMIT, instead of a
    // BitmapOr that loses the index order and sorts every match.
    return this.db.$queryRaw<ReportRow[]>`
      SELECT * FROM (
        (SELECT ${COLUMNS} FROM reports r WHERE r.requester_ods_code = ${f.organisation} ${where}
          ORDER BY r.issued_at DESC, r.id DESC LIMIT ${limit})
        UNION
        (SELECT ${COLUMNS} FROM reports r WHERE r.lab_ods_code = ${f.organisation} ${where}
          ORDER BY r.issued_at DESC, r.id DESC LIMIT ${limit})
      ) x
      ORDER BY x."issuedAt" DESC, x.id DESC
      LIMIT ${limit}`;
  }

  /** How many reports visible to f.organisation match (search's total; same predicates). */
  async count(f: SearchFilter): Promise<number> {
    const conds = this.conditions(f);
    const where = conds.length > 0 ? Prisma.sql`AND ${Prisma.join(conds, ' AND ')}` : Prisma.empty;
    const rows = await this.db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM reports r
       WHERE (r.requester_ods_code = ${f.organisation} OR r.lab_ods_code = ${f.organisation}
              OR ${f.registeredGp === true && !!f.nhsNumber}) ${where}`;
    return Number(rows[0]?.n ?? 0);
  }

  private conditions(f: SearchFilter): Prisma.Sql[] {
    const conds: Prisma.Sql[] = [];
    if (f.nhsNumber) conds.push(Prisma.sql`r.nhs_number = ${f.nhsNumber}`);
    if (f.labReportId)
      conds.push(
        Prisma.sql`r.lab_ods_code = ${f.organisation} AND r.lab_report_id = ${f.labReportId}`,
      );
    if (f.category) conds.push(Prisma.sql`r.category = ${f.category}`);
    if (f.code)
      conds.push(
        Prisma.sql`(r.code = ${f.code} OR EXISTS (SELECT 1 FROM observations o WHERE o.code = ${f.code} AND o.report_id = r.id AND o.version = r.version))`,
      );
    if (f.issuedFrom) conds.push(Prisma.sql`r.issued_at >= ${f.issuedFrom}`);
    if (f.issuedTo) conds.push(Prisma.sql`r.issued_at < ${f.issuedTo}`);
    if (f.statuses && f.statuses.length > 0)
      conds.push(Prisma.sql`r.status = ANY(${f.statuses}::text[])`);
    return conds;
  }

  /** The safety net: unacknowledged abnormal/critical reports of a requester, oldest first. */
  unacknowledged(
    requesterOdsCode: string,
    minRank: number,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<ReportRow[]> {
    const after = cursor
      ? Prisma.sql`AND (r.received_at, r.id) > (${new Date(cursor.t)}::timestamptz, ${cursor.i}::uuid)`
      : Prisma.empty;
    // The literal predicates match the partial index reports_safety_net.
    return this.db.$queryRaw<ReportRow[]>`
      SELECT ${COLUMNS} FROM reports r
       WHERE r.requester_ods_code = ${requesterOdsCode}
         AND r.severity_rank >= 1 AND r.status <> 'cancelled'
         AND (r.acknowledged_version IS NULL OR r.acknowledged_version < r.version)
         AND r.severity_rank >= ${minRank}
         ${after}
       ORDER BY r.received_at ASC, r.id ASC
       LIMIT ${limit}`;
  }
}

const COLUMNS = Prisma.raw(
  [
    'id',
    'lab_ods_code AS "labOdsCode"',
    'lab_report_id AS "labReportId"',
    'lab_region AS "labRegion"',
    'nhs_number AS "nhsNumber"',
    'category',
    'code_system AS "codeSystem"',
    'code',
    'code_display AS "codeDisplay"',
    'status',
    'version',
    'requester_ods_code AS "requesterOdsCode"',
    'requester_region AS "requesterRegion"',
    'requester_practitioner_id AS "requesterPractitionerId"',
    'referral_id AS "referralId"',
    'issued_at AS "issuedAt"',
    'conclusion',
    'content_hash AS "contentHash"',
    'most_severe AS "mostSevere"',
    'severity_rank AS "severityRank"',
    'observation_count AS "observationCount"',
    'abnormal_count AS "abnormalCount"',
    'received_at AS "receivedAt"',
    'acknowledged_version AS "acknowledgedVersion"',
    'acknowledged_at AS "acknowledgedAt"',
    'created_at AS "createdAt"',
  ]
    .map((c) => `r.${c}`)
    .join(', '),
);

function ackOf(a: AcknowledgementRow): Acknowledgement {
  return {
    version: a.version,
    odsCode: a.odsCode,
    systemId: a.systemId,
    ...(a.userId ? { userId: a.userId } : {}),
    note: a.note ?? '',
    acknowledgedAt: a.acknowledgedAt,
  };
}

function reportRow(w: VersionWrite): ReportRow {
  const c = w.content;
  return {
    id: w.reportId,
    labOdsCode: c.labOdsCode,
    labReportId: c.labReportId,
    labRegion: w.labRegion,
    nhsNumber: c.nhsNumber,
    category: c.category,
    codeSystem: c.code.system,
    code: c.code.code,
    codeDisplay: c.code.display,
    status: c.status,
    version: w.version,
    requesterOdsCode: c.requester.odsCode,
    requesterRegion: c.requester.region,
    requesterPractitionerId: c.requester.practitionerId,
    referralId: c.referralId,
    issuedAt: new Date(c.issued),
    conclusion: c.conclusion,
    contentHash: w.hash,
    mostSevere: w.severity.mostSevere ?? '',
    severityRank: w.severity.rank,
    observationCount: c.observations.length,
    abnormalCount: w.severity.abnormalCount,
    receivedAt: w.receivedAt,
    acknowledgedVersion: null,
    acknowledgedAt: null,
    createdAt: w.receivedAt,
  };
}
