import { Inject, Injectable, Optional } from '@nestjs/common';
import { isNationalOperator, type Caller } from '@trellis/auth';
import { conformance, toTimestamp } from '@trellis/contracts';

import { isCertifiableRole } from '../certification/exchange';
import { LookupCache } from '../lookup-cache';
import { SCORECARDS_CLIENT, type ScorecardsClient } from '../scorecards/scorecards.client';
import { type SystemRow } from '../systems/systems.repository';
import { actorOf } from '../systems/systems.service';
import {
  illegalMove,
  governanceOutsideLifecycle,
  isGovernanceOrganisation,
  isLifecycleState,
  LifecycleError,
  liveNeedsNationalOperator,
  mayMove,
  unmetRequirements,
  type LifecycleState,
} from './lifecycle';
import { RegionalService, regionOfSystem } from './regional.service';
import { RegionsRepository, type TransitionRow } from './regions.repository';
import { RegionRequirementsService } from './requirements.service';

export type { TransitionRow } from './regions.repository';

export interface TransitionResult {
  system: SystemRow;
  nationalOverride: boolean;
  transition: TransitionRow;
}

/** A system's lifecycle state and its product's role (platform spelling, e.g. gp-system). */
export interface SystemStanding {
  lifecycle: string;
  role: string;
  /** A system of the national operator or a regional authority (isGovernanceOrganisation). */
  governance: boolean;
}

/** How long a system's standing is reused by the call gate (another replica's move: at most this). */
const STANDING_CACHE_MS = 2000;

/** The scorecard window a region's violation-rate requirement is judged on. */
const RATE_WINDOW_MS = 7 * 24 * 3600_000;

/**
 * The connected-system lifecycle (issue 18): registered → sandbox → certified → live, each move
 * an act of the authority of the system's organisation's region (or the national operator, then
 * recorded as an override): the state, a history row, the event on the region's stream and the
 * audit record commit together. `certified` needs a valid certificate of the product version for
 * its role; `live` (the region's approval) needs that and the region's own requirements. A role
 * without a conformance scheme is never certified: it goes sandbox → live, by the national
 * operator only (no certificate shows it meets the national standards).
 */
@Injectable()
export class LifecycleService {
  /** Each system's standing, read by the call gate on every platform call. */
  private readonly standings = new LookupCache<SystemStanding | null>(STANDING_CACHE_MS);

  constructor(
    private readonly regional: RegionalService,
    private readonly requirements: RegionRequirementsService,
    private readonly repo: RegionsRepository,
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly scorecards?: ScorecardsClient | null,
  ) {}

  async transition(
    caller: Caller,
    region: string,
    id: string,
    to: string,
    reason: string,
    interaction: string,
    authorization?: string,
  ): Promise<TransitionResult> {
    const target = checkTarget(to);
    const why = checkReason(reason);
    const row = await this.regional.inRegion(caller, region, id);
    if (isGovernanceOrganisation(row.odsCode)) throw governanceOutsideLifecycle(id, row.odsCode);
    const role = await this.repo.productRole(row.productVersionId);
    const scheme = isCertifiableRole(role);
    if (!mayMove(row.lifecycle, target, scheme))
      throw illegalMove(id, row.lifecycle, target, scheme);
    if (scheme) await this.checkRequirements(row, role, target, region, authorization);
    // no certificate can show it meets the national standards: production is a national decision
    else if (target === 'live' && !isNationalOperator(caller))
      throw liveNeedsNationalOperator(id, role, region);
    return this.move(row.id, row.lifecycle, target, why, caller, region, interaction);
  }

  /**
   * The system's lifecycle state and product role, read by the call gate on every platform call:
   * cached briefly; this replica's own moves take effect at once.
   */
  standingOf(systemId: string): Promise<SystemStanding | null> {
    return this.standings.get(systemId, async () => {
      const row = await this.repo.standing(systemId);
      return row
        ? {
            lifecycle: row.lifecycle,
            role: row.role.replace(/_/g, '-'),
            governance: isGovernanceOrganisation(row.odsCode),
          }
        : null;
    });
  }

  /** The system's state and history (oldest first), for the region's authority. */
  async history(
    caller: Caller,
    region: string,
    id: string,
  ): Promise<{ state: string; transitions: TransitionRow[] }> {
    const row = await this.regional.inRegion(caller, region, id, 'systems.read');
    const transitions = await this.repo.transitions(row.id);
    return { state: row.lifecycle, transitions };
  }

  /**
   * The operator's environment switch (CertificationService/SetSystemEnvironment, issue 17):
   * production = `live`, sandbox = `sandbox`, from any state and without the requirements — a
   * national override, recorded as one (the certificate gate still wants the certificate).
   */
  async force(
    systemId: string,
    to: 'live' | 'sandbox',
    reason: string,
    caller: Caller,
  ): Promise<boolean> {
    const row = await this.repo.system(systemId);
    if (!row) return false;
    if (row.lifecycle === to) return true;
    await this.move(
      row.id,
      row.lifecycle,
      to,
      checkReason(reason),
      caller,
      regionOfSystem(row),
      '/trellis.gateway.v1.CertificationService/SetSystemEnvironment',
      true,
    );
    return true;
  }

  /** The national and regional requirements of a role with a conformance scheme. */
  private async checkRequirements(
    row: SystemRow,
    role: string,
    to: LifecycleState,
    region: string,
    authorization: string | undefined,
  ): Promise<void> {
    if (to !== 'certified' && to !== 'live') return;
    const requirements = to === 'live' ? await this.requirements.of(region) : undefined;
    const roles = [role, ...(requirements?.extraCertificateRoles ?? [])];
    const certificates = await this.repo.certificates(row.productVersionId, roles);
    const violationRate =
      requirements && requirements.maxViolationRate !== null
        ? await this.violationRate(row.id, authorization)
        : undefined;
    const unmet = unmetRequirements({
      to,
      role,
      productVersionId: row.productVersionId,
      certificates,
      now: new Date(),
      region,
      ...(requirements ? { requirements } : {}),
      ...(violationRate !== undefined ? { violationRate } : {}),
    });
    if (unmet.length > 0)
      throw new LifecycleError(
        'LIFECYCLE_REQUIREMENT_UNMET',
        `system ${row.id} cannot become ${to}: ${unmet.map((u) => u.message).join('; ')}`,
        unmet.map((u) => ({ field: 'to', rule: u.rule, message: u.message })),
      );
  }

  /**
   * Share of the system's judged calls refused over the window (undefined: unknown), from its
   * scorecard read with the approver's token (a region's authority may read its systems' cards).
   */
  private async violationRate(
    systemId: string,
    authorization: string | undefined,
  ): Promise<number | undefined> {
    if (!this.scorecards) return undefined;
    const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    try {
      const res = await this.scorecards.getScorecard(
        {
          subjectKind: conformance.v1.SubjectKind.SUBJECT_KIND_SYSTEM,
          subjectId: systemId,
          periodStart: toTimestamp(new Date(end.getTime() - RATE_WINDOW_MS)),
          periodEnd: toTimestamp(end),
          topRules: 1,
        },
        authorization ? { authorization } : {},
      );
      const rate = res.scorecard?.current?.conformanceRate;
      return rate === undefined ? undefined : Math.round((1 - rate) * 10_000) / 10_000;
    } catch {
      return undefined;
    }
  }

  private async move(
    id: string,
    from: string,
    to: LifecycleState,
    reason: string,
    caller: Caller,
    region: string,
    interaction: string,
    forced = false,
  ): Promise<TransitionResult> {
    const nationalOverride = forced || this.regional.isOverride(caller, region);
    const result = await this.repo.inTransaction(async (repo, tx) => {
      await repo.lockSystem(id);
      // another act moved it first: judged again against the state it is in now
      if (!(await repo.moveLifecycle(id, from, to))) {
        const now = await repo.system(id);
        throw illegalMove(id, now?.lifecycle ?? 'unknown', to);
      }
      const system = (await repo.system(id))!;
      const transition = await repo.insertTransition({
        systemId: id,
        from,
        to,
        actor: actorOf(caller),
        region,
        reason,
        nationalOverride,
      });
      await this.regional.record(caller, region, 'lifecycle', reason, interaction, { from, to })(
        tx,
        system,
      );
      return { system, nationalOverride, transition };
    });
    this.standings.forget(id); // this replica's next call sees the new state
    return result;
  }
}

function checkTarget(to: string): LifecycleState {
  if (!isLifecycleState(to) || to === 'registered')
    throw new LifecycleError(
      'LIFECYCLE_INVALID_ARGUMENT',
      'invalid to: one of sandbox, certified, live',
      [{ field: 'to', rule: 'enum', message: 'one of sandbox, certified, live' }],
    );
  return to;
}

function checkReason(reason: string): string {
  const r = reason.trim();
  if (r.length < 3 || r.length > 500)
    throw new LifecycleError('LIFECYCLE_INVALID_ARGUMENT', 'invalid reason', [
      { field: 'reason', rule: 'required', message: 'a reason of 3-500 characters is required' },
    ]);
  return r;
}
