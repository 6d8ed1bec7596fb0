import { Controller, Get, Inject, Injectable, Optional, Param, Query, Req } from '@nestjs/common';
import { requireCaller, type Caller } from '@trellis/auth';
import { conformance, fromTimestamp, toTimestamp } from '@trellis/contracts';
import { DomainError, type ErrorKind } from '@trellis/service-kit';

import {
  SCORECARDS_CLIENT,
  ScorecardCallError,
  type ScorecardsClient,
} from '../scorecards/scorecards.client';
import { LifecycleError } from './lifecycle';
import { RegionalService } from './regional.service';
import { RegionsRepository, type SystemOfRegion } from './regions.repository';

/** At most this many of a region's systems per read (the newest registrations first). */
const MAX_SYSTEMS = 200;
/** At most this many certificates of their versions per read (the newest first). */
const MAX_CERTIFICATES = 1000;

export interface RegionalCertificate {
  id: string;
  productVersionId: string;
  role: string;
  status: string;
  statusReason: string;
  rulesVersion: string;
  issuedAt: string;
  expiresAt: string;
  /** The region's systems deploying the certified version. */
  systems: string[];
}

export interface RegionalScorecard {
  systemId: string;
  name: string;
  odsCode: string;
  lifecycle: string;
  status: string;
  /** null: no traffic counted for the system in the period. */
  card: {
    requests: number;
    accepted: number;
    refused: number;
    violations: number;
    conformanceRate: number;
    countedUntil: string | null;
  } | null;
}

/**
 * A regional authority's reads of its region (issue 18): the certificates and scorecards of the
 * systems whose organisation is in the region (region/<code>/scorecards.read). Scorecards come
 * from the conformance service with the caller's own token: the service checks again that each
 * system is in a region the caller may read (the region from the suspension feed).
 */
@Injectable()
export class RegionalReadsService {
  constructor(
    private readonly regional: RegionalService,
    private readonly repo: RegionsRepository,
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client?: ScorecardsClient | null,
  ) {}

  private systemsOf(region: string): Promise<SystemOfRegion[]> {
    return this.repo.systemsOfRegion(region, MAX_SYSTEMS);
  }

  async certificates(caller: Caller, region: string): Promise<RegionalCertificate[]> {
    this.regional.authorise(caller, region, 'scorecards.read');
    const systems = await this.systemsOf(region);
    const byVersion = new Map<string, string[]>();
    for (const s of systems)
      byVersion.set(s.productVersionId, [...(byVersion.get(s.productVersionId) ?? []), s.id]);
    const rows = await this.repo.certificatesOfVersions([...byVersion.keys()], MAX_CERTIFICATES);
    return rows.map((c) => ({
      id: c.id,
      productVersionId: c.productVersionId,
      role: c.role,
      status: c.status,
      statusReason: c.statusReason ?? '',
      rulesVersion: c.rulesVersion,
      issuedAt: c.issuedAt.toISOString(),
      expiresAt: c.expiresAt.toISOString(),
      systems: byVersion.get(c.productVersionId) ?? [],
    }));
  }

  async scorecards(
    caller: Caller,
    region: string,
    period: { start: Date; end: Date },
    authorization: string | undefined,
  ): Promise<RegionalScorecard[]> {
    this.regional.authorise(caller, region, 'scorecards.read');
    const client = this.client;
    if (!client)
      throw new DomainError(
        'gateway',
        'SCORECARDS_UNAVAILABLE',
        'UNIMPLEMENTED',
        'scorecards are not served by this gateway (no conformance service configured)',
      );
    const out: RegionalScorecard[] = [];
    for (const s of await this.systemsOf(region)) {
      let card: RegionalScorecard['card'] = null;
      try {
        const res = await client.getScorecard(
          {
            subjectKind: conformance.v1.SubjectKind.SUBJECT_KIND_SYSTEM,
            subjectId: s.id,
            periodStart: toTimestamp(period.start),
            periodEnd: toTimestamp(period.end),
            topRules: 1,
          },
          authorization ? { authorization } : {},
        );
        const c = res.scorecard?.current;
        card = {
          requests: Number(c?.requests ?? 0),
          accepted: Number(c?.accepted ?? 0),
          refused: Number(c?.refused ?? 0),
          violations: Number(c?.violations ?? 0),
          conformanceRate: c?.conformanceRate ?? 1,
          countedUntil: res.scorecard?.countedUntil
            ? fromTimestamp(res.scorecard.countedUntil).toISOString()
            : null,
        };
      } catch (err) {
        // no traffic counted yet is an empty card; anything else is the conformance service's
        if (!(err instanceof ScorecardCallError)) throw err;
        if (err.decoded.code !== 5) throw fromConformance(err);
      }
      out.push({
        systemId: s.id,
        name: s.name,
        odsCode: s.odsCode,
        lifecycle: s.lifecycle,
        status: s.status,
        card,
      });
    }
    return out;
  }
}

const KIND_OF_GRPC: Readonly<Record<number, ErrorKind>> = {
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  7: 'PERMISSION_DENIED',
  16: 'UNAUTHENTICATED',
};

/** The conformance service's refusal, as the gateway's (never a 500 for its 4xx). */
function fromConformance(err: ScorecardCallError): DomainError<string> {
  return new DomainError(
    'gateway',
    'SCORECARD_REFUSED',
    KIND_OF_GRPC[err.decoded.code] ?? 'UNAVAILABLE',
    `conformance service: ${err.decoded.message}`,
    err.decoded.fieldViolations,
  );
}

function periodOf(q: Record<string, unknown>): { start: Date; end: Date } {
  const at = (name: string): Date | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    const d = typeof v === 'string' ? new Date(v) : new Date(Number.NaN);
    if (Number.isNaN(d.getTime()))
      throw new LifecycleError('LIFECYCLE_INVALID_ARGUMENT', `invalid ${name}`, [
        { field: name, rule: 'date-time', message: 'an ISO 8601 date-time' },
      ]);
    return d;
  };
  return defaultPeriod(at('periodStart'), at('periodEnd'));
}

/** [start, end): by default the 7 days up to the next minute. */
export function defaultPeriod(start?: Date, end?: Date): { start: Date; end: Date } {
  const e = end ?? new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
  return { start: start ?? new Date(e.getTime() - 7 * 24 * 3600_000), end: e };
}

/** The JSON door of the regional reads (the console's /admin/v1/regions/{region}/…). */
@Controller('admin/v1/regions')
export class RegionalReadsController {
  constructor(private readonly reads: RegionalReadsService) {}

  @Get(':region/certificates')
  async certificates(
    @Param('region') region: string,
    @Req() req: object,
  ): Promise<{ certificates: RegionalCertificate[] }> {
    return { certificates: await this.reads.certificates(requireCaller(req), region) };
  }

  @Get(':region/scorecards')
  async scorecards(
    @Param('region') region: string,
    @Query() q: Record<string, unknown>,
    @Req() req: object,
  ): Promise<{ periodStart: string; periodEnd: string; scorecards: RegionalScorecard[] }> {
    const period = periodOf(q);
    const h = (req as { headers?: Record<string, unknown> }).headers?.['authorization'];
    const scorecards = await this.reads.scorecards(
      requireCaller(req),
      region,
      period,
      typeof h === 'string' ? h : undefined,
    );
    return {
      periodStart: period.start.toISOString(),
      periodEnd: period.end.toISOString(),
      scorecards,
    };
  }
}
