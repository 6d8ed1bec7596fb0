import { Inject, Injectable } from '@nestjs/common';
import {
  isNationalOperator,
  mayActInRegion,
  type AccessAuditor,
  type Caller,
  type RegionAction,
} from '@trellis/auth';
import { DomainError, isRegion, organisationByOdsCode } from '@trellis/service-kit';

import { GATEWAY_AUDITOR } from '../audit/gateway-events.module';
import { GATEWAY_OUTBOX, type GatewayOutbox } from '../audit/gateway-outbox';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { SystemsError, SystemsErrorCode } from '../systems/systems.errors';
import { type ListedSystem, type SystemRow, type Tx } from '../systems/systems.repository';
import { actorOf, SystemsService } from '../systems/systems.service';
import { regionalActedEvent } from './regional-acted';

export { REGIONAL_ACTED_SCHEMA, REGIONAL_ACTED_TYPE, regionStream } from './regional-acted';

export class RegionalError extends DomainError<'NOT_YOUR_REGION'> {
  constructor(message: string) {
    super('gateway', 'NOT_YOUR_REGION', 'PERMISSION_DENIED', message, [
      { field: 'region', rule: 'region.own', message },
    ]);
  }
}

/** The region a system belongs to: its organisation's in the reference data, else its own claim. */
export function regionOfSystem(row: Pick<SystemRow, 'odsCode' | 'region'>): string {
  return organisationByOdsCode(row.odsCode)?.region ?? row.region;
}

export interface RegionalActResult {
  system: SystemRow;
  nationalOverride: boolean;
}

/**
 * A regional digital authority's powers over its own region's connected systems (issue 18), and
 * the national operator's override of them. The region named by the call is checked against the
 * caller's region scopes and token (mayActInRegion); the system against the region of its
 * organisation. Each act is the registry's change (log + suspension feed) plus an event on the
 * region's own stream, in one transaction.
 */
@Injectable()
export class RegionalService {
  constructor(
    private readonly systems: SystemsService,
    @Inject(GATEWAY_OUTBOX) private readonly outbox: GatewayOutbox,
    @Inject(GATEWAY_AUDITOR) private readonly auditor: AccessAuditor,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  authorise(caller: Caller, region: string, action: RegionAction): void {
    if (!isRegion(region))
      throw new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid region', [
        { field: 'region', rule: 'region', message: 'a region code such as north-east' },
      ]);
    if (!mayActInRegion(caller, region, action))
      throw new RegionalError(
        `${caller.systemId} may not ${action.replace('.', ' ')} in ${region} (${caller.region ? `its region is ${caller.region}` : 'no region'})`,
      );
  }

  async list(
    caller: Caller,
    region: string,
    pageSize: number,
    pageToken: string,
    status?: 'active' | 'suspended',
  ): Promise<{ rows: ListedSystem[]; next: string; total: number }> {
    this.authorise(caller, region, 'systems.read');
    return this.systems.list(pageSize, pageToken, status, region);
  }

  async suspend(
    caller: Caller,
    region: string,
    id: string,
    reason: string,
    interaction: string,
  ): Promise<RegionalActResult> {
    await this.inRegion(caller, region, id);
    const system = await this.systems.suspend(
      id,
      reason,
      caller,
      this.record(caller, region, 'suspended', reason, interaction),
    );
    return { system, nationalOverride: this.isOverride(caller, region) };
  }

  async reinstate(
    caller: Caller,
    region: string,
    id: string,
    reason: string,
    interaction: string,
  ): Promise<RegionalActResult> {
    if (!reason.trim())
      throw new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid reason', [
        { field: 'reason', rule: 'required', message: 'is required' },
      ]);
    await this.inRegion(caller, region, id);
    const system = await this.systems.reactivate(
      id,
      caller,
      reason,
      this.record(caller, region, 'reinstated', reason, interaction),
    );
    return { system, nationalOverride: this.isOverride(caller, region) };
  }

  /** Another region's system does not exist for an authority (its existence is not theirs). */
  async inRegion(
    caller: Caller,
    region: string,
    id: string,
    action: RegionAction = 'systems.write',
  ): Promise<SystemRow> {
    this.authorise(caller, region, action);
    const row = id ? await this.systems.get(id).catch(() => null) : null;
    if (!row || regionOfSystem(row) !== region)
      throw new SystemsError(SystemsErrorCode.NotFound, `system ${id} not found in ${region}`);
    return row;
  }

  /** The national operator acting in a region, rather than that region's own authority. */
  isOverride(caller: Caller, region: string): boolean {
    const own =
      caller.region === region && caller.scopes.includes(`region/${region}/systems.write`);
    return isNationalOperator(caller) && !own;
  }

  /** The act's event on the region's stream and its audit record, in the act's transaction. */
  record(
    caller: Caller,
    region: string,
    action: string,
    reason: string,
    interaction: string,
    lifecycle?: { from: string; to: string },
  ): (tx: Tx, after: SystemRow) => Promise<void> {
    const nationalOverride = this.isOverride(caller, region);
    const what = lifecycle ? `lifecycle ${lifecycle.from} → ${lifecycle.to}` : action;
    return async (tx, after) => {
      await this.outbox.enqueue(
        tx,
        regionalActedEvent(
          {
            caller,
            actor: actorOf(caller),
            region,
            action,
            reason,
            nationalOverride,
            ...(lifecycle ? { lifecycle } : {}),
          },
          after,
          this.config.regionTopicPrefix,
        ),
      );
      // the act in the access audit too (the audit store, the console), with the same commit
      await this.auditor.record(
        {
          interaction,
          action: 'E',
          outcome: 'success',
          outcomeDescription:
            `${what} in ${region}${nationalOverride ? ' (national override)' : ''}: ${reason}`.slice(
              0,
              300,
            ),
          caller,
          resourceType: 'Device',
          resourceId: after.id,
          requiredScope: `region/${region}/systems.write`,
        },
        tx,
      );
    };
  }
}
