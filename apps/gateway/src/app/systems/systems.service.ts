import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { isNationalOperator, type Caller } from '@trellis/auth';
import { organisationByOdsCode } from '@trellis/service-kit';

import { type SystemStatus } from '../../generated/prisma/client';
import { GATEWAY_OUTBOX, type GatewayOutbox } from '../audit/gateway-outbox';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { ProductsService } from '../products/products.service';
import { regionalActedEvent } from '../regions/regional-acted';
import { listingCursor } from './listing-cursor';
import { SystemsError, SystemsErrorCode } from './systems.errors';
import { systemChangedEvent, type SystemChangeKind } from './systems.events';
import {
  SystemsRepository,
  type ListedSystem,
  type SystemPatch,
  type SystemRow,
  type Tx,
} from './systems.repository';
import {
  checkKeys,
  checkRegionScopes,
  checkScopes,
  checkText,
  CLIENT_ID,
  ODS_CODE,
  REGION_CODE,
  Violations,
  type KeysInput,
} from './systems.validation';

export interface RegisterInput {
  name: string;
  supplier: string;
  odsCode: string;
  region: string;
  keys: KeysInput | undefined;
  allowedScopes: readonly string[];
  clientId?: string;
  /** Required: the ProductVersion.id the system deploys. */
  productVersionId: string;
  /**
   * Initial lifecycle state (issue 18): `registered`, or `sandbox` (the default: what every
   * registration meant before the lifecycle). Either way the history records who decided it.
   */
  lifecycle?: string;
}

/** Who performed an admin change: the operator's system, and their user when named. */
export function actorOf(caller: Pick<Caller, 'systemId' | 'userId'>): string {
  return caller.userId ? `${caller.systemId}/${caller.userId}` : caller.systemId;
}

/** More to commit with a change, in its transaction (e.g. a regional authority's event). */
export type AlsoInChange = (tx: Tx, after: SystemRow) => Promise<void>;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Registry rules: validation, state transitions, change log + event in one transaction. */
@Injectable()
export class SystemsService {
  constructor(
    private readonly repo: SystemsRepository,
    @Inject(GATEWAY_OUTBOX) private readonly outbox: GatewayOutbox,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly products: ProductsService,
  ) {}

  /** `timeoutMs`: the transaction's, when `also` waits on another system (a Kafka principal). */
  async register(
    input: RegisterInput,
    caller: Caller,
    also?: AlsoInChange,
    timeoutMs?: number,
  ): Promise<SystemRow> {
    const v = new Violations();
    checkText(v, 'name', input.name);
    checkText(v, 'supplier', input.supplier);
    if (!ODS_CODE.test(input.odsCode))
      v.add('ods_code', 'must be 3-10 upper-case letters or digits');
    if (!REGION_CODE.test(input.region))
      v.add('region', 'must be a region short code such as north-east');
    const lifecycle = input.lifecycle || 'sandbox';
    if (lifecycle !== 'registered' && lifecycle !== 'sandbox')
      v.add('lifecycle', 'a new system starts registered or sandbox (empty = sandbox)');
    if (input.clientId && !CLIENT_ID.test(input.clientId))
      v.add('client_id', 'lower-case letters, digits and -, 3-63 characters');
    const keys = checkKeys(v, 'keys', input.keys);
    const scopes = checkScopes(v, 'allowed_scopes', input.allowedScopes);
    checkRegionScopes(v, 'allowed_scopes', scopes, input);
    v.throwIfAny();
    const version = await this.products.requireVersion(
      input.productVersionId,
      'product_version_id',
    );
    const id = input.clientId || `sys-${randomUUID()}`;
    const actor = actorOf(caller);
    const initial = lifecycle === 'registered' ? 'registered' : 'sandbox';
    const region = organisationByOdsCode(input.odsCode)?.region ?? input.region;
    return this.repo.transaction(async (tx) => {
      const row = await this.repo.insert(tx, {
        id,
        name: input.name.trim(),
        supplier: input.supplier.trim(),
        odsCode: input.odsCode,
        region: input.region,
        jwks: keys.jwks,
        jwksUrl: keys.jwksUrl,
        allowedScopes: scopes,
        productVersionId: version.id,
        writesRestricted: version.writesRestricted,
        lifecycle: initial,
        lifecycleRegion: region,
        nationalOverride: isNationalOperator(caller),
        actor,
      });
      if (row === 'exists')
        throw new SystemsError(SystemsErrorCode.AlreadyExists, `system ${id} already exists`);
      await this.publish(tx, row, 'REGISTERED', actor, caller);
      // registration is the lifecycle's first step: on the region's stream like the others
      await this.outbox.enqueue(
        tx,
        regionalActedEvent(
          {
            caller,
            actor,
            region,
            action: 'registered',
            reason: `registered into ${initial}`,
            nationalOverride: isNationalOperator(caller),
            lifecycle: { from: '', to: initial },
          },
          row,
          this.config.regionTopicPrefix,
        ),
      );
      if (also) await also(tx, row);
      return row;
    }, timeoutMs);
  }

  async get(id: string): Promise<SystemRow> {
    const row = id ? await this.repo.find(id) : null;
    if (!row) throw new SystemsError(SystemsErrorCode.NotFound, `system ${id} not found`);
    return row;
  }

  async list(
    pageSize: number,
    pageToken: string,
    status?: SystemStatus,
    region?: string,
  ): Promise<{ rows: ListedSystem[]; next: string; total: number }> {
    if (pageSize < 0)
      throw new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid page', [
        { field: 'page.page_size', rule: 'range', message: 'must be >= 0' },
      ]);
    const take = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    // the page token is bound to the whole filter (a region's token is not the nation's)
    const scope = { listing: 'systems', status, region };
    const after = listingCursor.decode(pageToken, scope);
    const rows = await this.repo.list({
      take: take + 1,
      ...(after ? { after } : {}),
      ...(status ? { status } : {}),
      ...(region ? { region } : {}),
    });
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    const next = rows.length > take && last ? listingCursor.encode(last, scope) : '';
    return { rows: page, next, total: await this.repo.count(status, region) };
  }

  updateScopes(
    id: string,
    scopes: readonly string[],
    expectedVersion: number,
    caller: Caller,
  ): Promise<SystemRow> {
    const v = new Violations();
    const allowed = checkScopes(v, 'allowed_scopes', scopes);
    v.throwIfAny();
    return this.change(id, caller, 'SCOPES_UPDATED', null, (row) => {
      const r = new Violations();
      checkRegionScopes(r, 'allowed_scopes', allowed, row);
      r.throwIfAny();
      if (expectedVersion > 0 && row.version !== expectedVersion) {
        throw new SystemsError(
          SystemsErrorCode.VersionConflict,
          `system ${id} is at version ${row.version}, not ${expectedVersion}`,
        );
      }
      return { allowedScopes: allowed };
    });
  }

  suspend(id: string, reason: string, caller: Caller, also?: AlsoInChange): Promise<SystemRow> {
    const v = new Violations();
    checkText(v, 'reason', reason, 500);
    v.throwIfAny();
    return this.change(
      id,
      caller,
      'SUSPENDED',
      reason,
      (row) => {
        if (row.status === 'suspended')
          throw new SystemsError(
            SystemsErrorCode.InvalidState,
            `system ${id} is already suspended`,
          );
        return { status: 'suspended', suspensionReason: reason };
      },
      also,
    );
  }

  reactivate(id: string, caller: Caller, reason = '', also?: AlsoInChange): Promise<SystemRow> {
    const v = new Violations();
    if (reason) checkText(v, 'reason', reason, 500);
    v.throwIfAny();
    return this.change(
      id,
      caller,
      'REACTIVATED',
      reason || null,
      (row) => {
        if (row.status === 'active')
          throw new SystemsError(SystemsErrorCode.InvalidState, `system ${id} is already active`);
        return { status: 'active', suspensionReason: null };
      },
      also,
    );
  }

  rotateKeys(id: string, keysInput: KeysInput | undefined, caller: Caller): Promise<SystemRow> {
    const v = new Violations();
    const keys = checkKeys(v, 'keys', keysInput);
    v.throwIfAny();
    return this.change(id, caller, 'KEYS_ROTATED', null, () => ({
      jwks: keys.jwks,
      jwksUrl: keys.jwksUrl,
    }));
  }

  /** Moves a system to another product version (e.g. after the supplier's upgrade). */
  async assignProductVersion(
    id: string,
    productVersionId: string,
    caller: Caller,
  ): Promise<SystemRow> {
    const version = await this.products.requireVersion(productVersionId, 'product_version_id');
    return this.change(id, caller, 'PRODUCT_VERSION_ASSIGNED', null, () => ({
      productVersionId: version.id,
    }));
  }

  /**
   * Compliance enforcement (in the caller's transaction, e.g. the inbox's): withdraws or gives
   * back the write scopes of every system deploying the product version; each changed system is
   * logged and its full state published on the suspension feed, which every service follows.
   */
  async setWritesRestricted(
    tx: Tx,
    productVersionId: string,
    restricted: boolean,
    actor: Caller,
    reason: string,
  ): Promise<SystemRow[]> {
    const changed: SystemRow[] = [];
    const kind: SystemChangeKind = restricted ? 'WRITES_RESTRICTED' : 'WRITES_RESTORED';
    await this.repo.markProductVersion(tx, productVersionId, restricted);
    for (const before of await this.repo.lockByProductVersion(tx, productVersionId)) {
      if (before.writesRestricted === restricted) continue;
      const after = await this.repo.update(
        tx,
        before,
        { writesRestricted: restricted },
        kind,
        actorOf(actor),
        reason.slice(0, 500),
      );
      await this.publish(tx, after, kind, actorOf(actor), actor);
      changed.push(after);
    }
    return changed;
  }

  private change(
    id: string,
    caller: Caller,
    kind: SystemChangeKind,
    reason: string | null,
    decide: (row: SystemRow) => SystemPatch,
    also?: AlsoInChange,
  ): Promise<SystemRow> {
    const actor = actorOf(caller);
    return this.repo.transaction(async (tx) => {
      const before = await this.repo.lock(tx, id);
      if (!before) throw new SystemsError(SystemsErrorCode.NotFound, `system ${id} not found`);
      const after = await this.repo.update(tx, before, decide(before), kind, actor, reason);
      await this.publish(tx, after, kind, actor, caller);
      if (also) await also(tx, after);
      return after;
    });
  }

  private async publish(
    tx: Tx,
    row: SystemRow,
    kind: SystemChangeKind,
    actor: string,
    caller: Caller,
  ): Promise<void> {
    await this.outbox.enqueue(
      tx,
      systemChangedEvent(row, kind, actor, caller, this.config.systemTopic),
    );
  }
}
