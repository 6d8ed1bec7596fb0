import { Injectable, Logger } from '@nestjs/common';
import { parseRegionScope, REGION_ACTIONS, type Caller } from '@trellis/auth';
import { DomainError } from '@trellis/service-kit';

import { LEGACY_PRODUCT_VERSION_ID } from '../products/products.repository';
import { listingCursor } from '../systems/listing-cursor';
import { SystemsRepository, type SystemRow } from '../systems/systems.repository';
import { SystemsService, type AlsoInChange } from '../systems/systems.service';
import { type KeysInput } from '../systems/systems.validation';
import { LifecycleError } from './lifecycle';
import {
  principalOf,
  PrincipalWriteFailed,
  RegionPrincipals,
  type RegionPrincipal,
} from './region-principals';
import { RegionalService } from './regional.service';

/** Page size of the authority-client listing when none is asked, and the most one page holds. */
export const AUTHORITY_CLIENTS_PAGE = { default: 50, max: 200 } as const;

/**
 * How long an act that writes a principal may hold its transaction: the broker's or the
 * Kubernetes API's answer is awaited inside it (Prisma's default of 5 s is too short under load).
 */
const PRINCIPAL_TX_MS = 60_000;

/** Scopes an authority client may hold besides its region's: the reads its region's views use. */
const READS = new Set(['system/MeasureReport.rs', 'system/AuditEvent.s', 'system/AuditEvent.rs']);

export interface AuthorityClientInput {
  clientId: string;
  name: string;
  odsCode: string;
  keys: KeysInput | undefined;
  scopes: string[];
}

export interface AuthorityClientPage {
  clients: { row: SystemRow; principal: string }[];
  next: string;
  managedBy: RegionPrincipal['managedBy'];
}

export const invalid = (field: string, message: string): LifecycleError =>
  new LifecycleError('LIFECYCLE_INVALID_ARGUMENT', `invalid ${field}`, [
    { field, rule: 'authority-client', message },
  ]);

const precondition = (rule: string, message: string): DomainError =>
  new DomainError('gateway', 'AUTHORITY_CLIENT_STATE', 'FAILED_PRECONDITION', message, [
    { field: 'id', rule, message },
  ]);

const unavailable = (message: string): DomainError =>
  new DomainError('gateway', 'KAFKA_PRINCIPAL_FAILED', 'UNAVAILABLE', message);

/**
 * A region's authority clients (issue 18), managed through the regional API by the region's own
 * authority or the national operator, the same service behind both doors: the connected system
 * (an authority organisation of the region, region-bound scopes of that region only) and its Kafka
 * principal for the region's stream, with no shell step. Each act is on the region's stream and
 * in the audit.
 *
 * Order and compensation of an act that writes a principal (creation, re-key): the database change
 * (row, region's event, audit record) is made first inside one transaction, the principal is
 * written last inside it, and the transaction commits only after the broker or the Kubernetes API
 * answered. So a failed principal write rolls the database back; and whenever the principal's
 * write began but the act did not commit (the write failed part-way, or the commit failed after
 * it), the principal is deleted again: no client without a principal, no principal (or Secret)
 * without its client, and no password that nobody was told.
 */
@Injectable()
export class AuthorityClientsService {
  private readonly logger = new Logger('AuthorityClients');

  constructor(
    private readonly regional: RegionalService,
    private readonly systems: SystemsService,
    private readonly principals: RegionPrincipals,
    private readonly repo: SystemsRepository,
  ) {}

  /** The region's authority clients (its systems holding a scope of the region), oldest first. */
  async list(
    caller: Caller,
    region: string,
    pageSize: number,
    pageToken: string,
  ): Promise<AuthorityClientPage> {
    this.regional.authorise(caller, region, 'systems.read');
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > AUTHORITY_CLIENTS_PAGE.max)
      throw invalid(
        'page.page_size',
        `0 (= ${AUTHORITY_CLIENTS_PAGE.default}) to ${AUTHORITY_CLIENTS_PAGE.max}`,
      );
    const take = pageSize || AUTHORITY_CLIENTS_PAGE.default;
    // the token is bound to the listing and its region (a region's token is not another's)
    const scope = { listing: 'authority-clients', region };
    const after = listingCursor.decode(pageToken, scope);
    const scopes = REGION_ACTIONS.map((a) => `region/${region}/${a}`);
    const rows = await this.repo.withAnyScope(region, scopes, take + 1, after);
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    return {
      clients: page.map((row) => ({ row, principal: principalOf(region, row.id) })),
      next: rows.length > take && last ? listingCursor.encode(last, scope) : '',
      managedBy: this.principals.managedBy,
    };
  }

  async create(
    caller: Caller,
    region: string,
    input: AuthorityClientInput,
    interaction: string,
  ): Promise<{ client: SystemRow; kafka: RegionPrincipal }> {
    this.regional.authorise(caller, region, 'systems.write');
    if (input.scopes.length === 0) throw invalid('scopes', 'at least one region scope');
    for (const s of input.scopes) {
      const p = parseRegionScope(s);
      if (!(p ? p.region === region : READS.has(s)))
        throw invalid(
          'scopes',
          `${s.slice(0, 80)}: only region/${region}/… and ${[...READS].join(', ')}`,
        );
    }
    if (!input.scopes.some((s) => parseRegionScope(s)))
      throw invalid('scopes', 'at least one region scope');
    const recorded = this.regional.record(
      caller,
      region,
      'authority-client.created',
      `authority client ${input.name.slice(0, 80)} for ${region}`,
      interaction,
    );
    const { row, kafka } = await this.withPrincipal(
      region,
      (also) =>
        this.systems.register(
          {
            ...(input.clientId ? { clientId: input.clientId } : {}),
            name: input.name,
            supplier: `${region} regional digital authority`,
            odsCode: input.odsCode,
            region,
            keys: input.keys,
            allowedScopes: input.scopes,
            productVersionId: LEGACY_PRODUCT_VERSION_ID,
          },
          caller,
          also,
          PRINCIPAL_TX_MS,
        ),
      recorded,
      (principal) =>
        `the Kafka principal ${principal} could not be created, so the client was not registered either; retry the creation`,
    );
    return { client: row, kafka };
  }

  /**
   * A new Kafka password (and the ACLs again) for one of the region's active authority clients;
   * the old one stops working. On the region's stream and in the audit. Where the chart's values
   * keep the principals there is nothing to re-key here.
   */
  async rekey(
    caller: Caller,
    region: string,
    id: string,
    interaction: string,
  ): Promise<{ kafka: RegionPrincipal; nationalOverride: boolean }> {
    const row = await this.client(caller, region, id);
    if (!this.principals.managed)
      throw precondition(
        'authority-client.operator-managed',
        `the principals of ${region} are kept in the chart's values (managedBy operator): re-key there`,
      );
    if (row.status !== 'active')
      throw precondition(
        'authority-client.active',
        `${id} is suspended (withdrawn): a suspended client gets no Kafka credentials`,
      );
    const principal = principalOf(region, row.id);
    const { kafka } = await this.withPrincipal(
      region,
      (also) =>
        this.repo.transaction(async (tx) => {
          await also(tx, row);
          return row;
        }, PRINCIPAL_TX_MS),
      this.regional.record(
        caller,
        region,
        'authority-client.rekeyed',
        `new Kafka password for ${principal}`,
        interaction,
      ),
      () =>
        `the Kafka principal ${principal} could not be re-keyed and was removed (its old password no longer works); retry POST …/authority-clients/${row.id}/kafka-credentials to create it with a new password`,
    );
    return { kafka, nationalOverride: this.regional.isOverride(caller, region) };
  }

  /**
   * Withdraws an authority client: suspends it (its tokens and calls stop, on the region's stream
   * and in the audit, one transaction) and then deletes its Kafka principal's SCRAM credential and
   * ACLs. An already suspended client only loses its principal: the retry when the broker was
   * unavailable, and the way to withdraw a client that was suspended first. (Suspension first: a
   * principal left behind by a failed deletion belongs to a client that can do nothing else, and
   * the retry removes it.)
   */
  async withdraw(
    caller: Caller,
    region: string,
    id: string,
    reason: string,
    interaction: string,
  ): Promise<{ client: SystemRow; nationalOverride: boolean; principal: string }> {
    if (!reason.trim()) throw invalid('reason', 'a non-empty reason is required');
    const before = await this.client(caller, region, id);
    const row =
      before.status === 'suspended'
        ? before
        : await this.systems.suspend(
            id,
            reason,
            caller,
            this.regional.record(caller, region, 'authority-client.withdrawn', reason, interaction),
          );
    try {
      await this.principals.revoke(region, row.id);
    } catch (err) {
      throw unavailable(
        `the client is suspended but its Kafka principal could not be deleted (${String(err).slice(0, 120)}); retry POST …/authority-clients/${row.id}/revoke`,
      );
    }
    return {
      client: row,
      nationalOverride: this.regional.isOverride(caller, region),
      principal: principalOf(region, row.id),
    };
  }

  /**
   * One act that writes a principal: `change` runs the database change in a transaction and calls
   * the hook inside it last; the hook records the act (event, audit) and then writes the principal,
   * so the commit waits for it. If the principal's write began and the act did not commit, the
   * principal is deleted (compensation); a deletion that fails too is logged as an orphan to remove.
   */
  private async withPrincipal(
    region: string,
    change: (also: AlsoInChange) => Promise<SystemRow>,
    record: AlsoInChange,
    failed: (principal: string) => string,
  ): Promise<{ row: SystemRow; kafka: RegionPrincipal }> {
    let begun: string | undefined;
    let kafka: RegionPrincipal | undefined;
    try {
      const row = await change(async (tx, after) => {
        await record(tx, after);
        begun = after.id;
        kafka = await this.principals.provision(region, after.id);
      });
      if (!kafka) throw new Error('the principal was not written');
      return { row, kafka };
    } catch (err) {
      if (begun === undefined) throw err;
      const principal = principalOf(region, begun);
      await this.principals.revoke(region, begun).catch((e: unknown) =>
        // nobody was told its password: only an operator's hand can remove it now
        this.logger.error(
          `orphan Kafka principal ${principal} (the act did not commit and its deletion failed): ${String(e).slice(0, 200)}`,
        ),
      );
      if (err instanceof PrincipalWriteFailed) throw unavailable(failed(principal));
      throw err;
    }
  }

  private async client(caller: Caller, region: string, id: string): Promise<SystemRow> {
    const row = await this.regional.inRegion(caller, region, id);
    if (!row.allowedScopes.some((s) => parseRegionScope(s)?.region === region))
      throw invalid('id', `${id} is not an authority client of ${region}`);
    return row;
  }
}
