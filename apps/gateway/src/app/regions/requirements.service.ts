import { Inject, Injectable } from '@nestjs/common';
import { type AccessAuditor, type Caller } from '@trellis/auth';

import { GATEWAY_AUDITOR } from '../audit/gateway-events.module';
import { CERTIFIABLE_ROLES, isCertifiableRole } from '../certification/exchange';
import { actorOf } from '../systems/systems.service';
import { LifecycleError, type RegionRequirements } from './lifecycle';
import { RegionalService } from './regional.service';
import { RegionsRepository } from './regions.repository';

export interface RegionRequirementsView extends RegionRequirements {
  region: string;
  reason: string;
  changedBy: string;
  changedAt: Date | null;
  version: number;
}

export interface RequirementsInput {
  extraCertificateRoles: readonly string[];
  maxViolationRate: number | null;
  reason: string;
}

const NONE = { extraCertificateRoles: [], maxViolationRate: null } as const;

/**
 * A region's requirements for going live there beyond the national ones (issue 18): declared by
 * the region's authority (or the national operator), shown to anyone who may read the region, and
 * enforced by the lifecycle's approval.
 */
@Injectable()
export class RegionRequirementsService {
  constructor(
    private readonly regional: RegionalService,
    private readonly repo: RegionsRepository,
    @Inject(GATEWAY_AUDITOR) private readonly auditor: AccessAuditor,
  ) {}

  /** What the approval enforces (none declared = national requirements only). */
  async of(region: string): Promise<RegionRequirements> {
    const row = await this.repo.requirements(region);
    return row
      ? { extraCertificateRoles: row.extraCertificateRoles, maxViolationRate: row.maxViolationRate }
      : NONE;
  }

  async get(caller: Caller, region: string): Promise<RegionRequirementsView> {
    this.regional.authorise(caller, region, 'systems.read');
    const row = await this.repo.requirements(region);
    // the row is the view (each door maps the fields it answers with)
    return row ?? { region, ...NONE, reason: '', changedBy: '', changedAt: null, version: 0 };
  }

  async set(
    caller: Caller,
    region: string,
    input: RequirementsInput,
    interaction: string,
  ): Promise<RegionRequirementsView> {
    this.regional.authorise(caller, region, 'systems.write');
    const roles = [...new Set(input.extraCertificateRoles)];
    const bad = roles.filter((r) => !isCertifiableRole(r));
    const violations = [
      ...(bad.length > 0
        ? [
            {
              field: 'extraCertificateRoles',
              rule: 'role',
              message: `unknown role(s) ${bad.join(', ').slice(0, 100)}: one of ${CERTIFIABLE_ROLES.join(', ')}`,
            },
          ]
        : []),
      ...(input.maxViolationRate !== null &&
      !(
        Number.isFinite(input.maxViolationRate) &&
        input.maxViolationRate >= 0 &&
        input.maxViolationRate <= 1
      )
        ? [{ field: 'maxViolationRate', rule: 'range', message: 'a number from 0 to 1, or null' }]
        : []),
      ...(input.reason.trim().length < 3 || input.reason.length > 500
        ? [{ field: 'reason', rule: 'required', message: 'a reason of 3-500 characters' }]
        : []),
    ];
    if (violations.length > 0)
      throw new LifecycleError('LIFECYCLE_INVALID_ARGUMENT', 'invalid requirements', violations);
    const actor = actorOf(caller);
    const data = {
      extraCertificateRoles: roles,
      maxViolationRate: input.maxViolationRate,
      reason: input.reason.trim(),
      changedBy: actor,
      changedAt: new Date(),
    };
    return this.repo.inTransaction(async (repo, tx) => {
      const row = await repo.saveRequirements(region, data);
      await this.auditor.record(
        {
          interaction,
          action: 'U',
          outcome: 'success',
          outcomeDescription:
            `requirements of ${region}${this.regional.isOverride(caller, region) ? ' (national override)' : ''}: roles [${roles.join(', ')}], max violation rate ${input.maxViolationRate ?? 'national'}: ${data.reason}`.slice(
              0,
              300,
            ),
          caller,
          resourceType: 'Basic',
          resourceId: `region-requirements-${region}`,
          requiredScope: `region/${region}/systems.write`,
        },
        tx,
      );
      return row;
    });
  }
}
