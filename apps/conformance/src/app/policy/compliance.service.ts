import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TRELLIS_SCOPES, type Caller } from '@trellis/auth';
import { CONFIG, LOGGER, type Logger, pageCursor } from '@trellis/service-kit';

import { type ConformanceConfig } from '../config';
import type { Prisma } from '../prisma';
import { ScorecardError, ScorecardErrorCode } from '../scorecards/scorecards.errors';
import {
  ComplianceRepository,
  type StoredChange,
  type StoredCompliance,
} from './compliance.repository';
import { complianceEvent, conformanceOutbox } from './compliance.events';
import { decide, type Decision } from './decide';
import { loadPolicy, type CompliancePolicy } from './policy';

const POLICY_ACTOR = 'conformance-policy';

/** Change-log versions are PostgreSQL integers. */
const MAX_VERSION = 2_147_483_647;

/** The change log's page token (libs/service-kit's scheme): the version the next page stays below. */
const CHANGES_CURSOR = pageCursor<number>({
  write: (version) => ({ before: version }),
  read: ({ before }) =>
    typeof before === 'number' && Number.isInteger(before) && before >= 1 && before <= MAX_VERSION
      ? before
      : undefined,
  refuse: (v) => new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid page token', [v]),
  field: 'page_token',
  rule: 'format',
  message: "a previous next_page_token of this product version's changes",
});

function fresh(productVersionId: string, policy: CompliancePolicy, now: Date): StoredCompliance {
  return {
    productVersionId,
    state: 'compliant',
    severity: null,
    rate: null,
    warnedAt: null,
    enforcedAt: null,
    overrideUntil: null,
    overrideReason: null,
    overrideBy: null,
    policyVersion: policy.version,
    version: 0,
    changedAt: now,
  };
}

/**
 * The policy with consequences: every interval, one evaluator (advisory lock across replicas)
 * measures each product version over the policy's windows and moves it compliant → warned →
 * enforced → compliant, each step a state row, a change-log row and an event, in one
 * transaction. The operator can override (writes back, enforcement off for a while, reason kept).
 */
@Injectable()
export class ComplianceService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly policy: CompliancePolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: ConformanceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repo: ComplianceRepository,
  ) {
    this.policy = loadPolicy(config.CONFORMANCE_POLICY_FILE);
  }

  onApplicationBootstrap(): void {
    const every = this.config.CONFORMANCE_POLICY_INTERVAL_MS;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep(new Date())
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err: String(err) }, 'policy sweep failed'))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One evaluation of every product version; returns the decisions taken (tests, tools). */
  async sweep(now: Date): Promise<Array<{ productVersionId: string; decision: Decision }>> {
    return this.repo.inTransaction(async (repo, tx) => {
      if (!(await repo.tryLock())) return [];
      const measures = await repo.measures(this.policy, now);
      const states = await repo.all();
      const taken: Array<{ productVersionId: string; decision: Decision }> = [];
      for (const pv of new Set([...measures.keys(), ...states.keys()])) {
        const row = states.get(pv) ?? fresh(pv, this.policy, now);
        const decision = decide(row, measures.get(pv) ?? {}, this.policy, now);
        if (decision.kind === 'none') continue;
        await this.apply(repo, tx, row, decision, now, POLICY_ACTOR);
        taken.push({ productVersionId: pv, decision });
      }
      return taken;
    });
  }

  async override(
    productVersionId: string,
    reason: string,
    hours: number,
    caller: Caller,
  ): Promise<StoredCompliance> {
    if (!caller.scopes.includes(TRELLIS_SCOPES.admin))
      throw new ScorecardError(ScorecardErrorCode.NotYours, 'only the national operator overrides');
    const v: Array<{ field: string; rule: string; message: string }> = [];
    if (!/^[A-Za-z0-9@._+-]{1,128}$/.test(productVersionId))
      v.push({ field: 'product_version_id', rule: 'required', message: 'a product version id' });
    if (reason.trim().length < 5 || reason.length > 500)
      v.push({ field: 'reason', rule: 'required', message: '5 to 500 characters' });
    if (hours < 0 || hours > 720)
      v.push({
        field: 'hours',
        rule: 'range',
        message: 'between 1 and 720 (0 = the policy default)',
      });
    if (v.length > 0)
      throw new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid override', v);
    const now = new Date();
    const until = new Date(now.getTime() + (hours || this.policy.overrideHours) * 3600_000);
    const actor = caller.userId ? `${caller.systemId}/${caller.userId}` : caller.systemId;
    return this.repo.inTransaction(async (repo, tx) => {
      const row =
        (await repo.get(productVersionId, true)) ?? fresh(productVersionId, this.policy, now);
      return this.apply(
        repo,
        tx,
        row,
        {
          kind: 'restore',
          wasEnforced: row.state === 'enforced',
          finding: {
            severity: '',
            rate: row.rate ?? 0,
            requests: 0,
            windowMinutes: 0,
            threshold: 0,
            topRules: [],
          },
        },
        now,
        actor,
        { reason: reason.trim(), until },
      );
    });
  }

  /** The state without an access check (the caller has been authorised for the subject). */
  async stateOf(productVersionId: string): Promise<StoredCompliance> {
    const row = await this.repo.get(productVersionId);
    return row ?? fresh(productVersionId, this.policy, new Date(0));
  }

  /** The states of several versions without an access check (never evaluated: compliant). */
  async statesOf(productVersionIds: readonly string[]): Promise<Map<string, StoredCompliance>> {
    const unique = [...new Set(productVersionIds)];
    const rows = await this.repo.some(unique);
    const held = new Map(rows.map((r) => [r.productVersionId, r]));
    return new Map(
      unique.map((id) => [id, held.get(id) ?? fresh(id, this.policy, new Date(0))] as const),
    );
  }

  async get(productVersionId: string, caller: Caller): Promise<StoredCompliance> {
    this.mayRead(productVersionId, caller);
    return this.stateOf(productVersionId);
  }

  /** The change log, newest first; the page token is the version the next page stays below. */
  async changes(
    productVersionId: string,
    caller: Caller,
    pageSize: number,
    pageToken: string,
  ): Promise<{ changes: StoredChange[]; next: string }> {
    const violations = [];
    if (!productVersionId)
      violations.push({ field: 'product_version_id', rule: 'required', message: 'is required' });
    if (pageSize < 0 || pageSize > 200)
      violations.push({ field: 'page_size', rule: 'range', message: '1 to 200' });
    const judged = CHANGES_CURSOR.check(pageToken || undefined, { productVersionId });
    if (!judged.ok) violations.push(judged.violation);
    const before = (judged.ok ? judged.cursor : undefined) ?? MAX_VERSION;
    if (violations.length)
      throw new ScorecardError(
        ScorecardErrorCode.InvalidArgument,
        'invalid compliance changes request',
        violations,
      );
    this.mayRead(productVersionId, caller);
    const size = pageSize || 50;
    const rows = await this.repo.changes(productVersionId, before, size + 1);
    const page = rows.slice(0, size);
    return {
      changes: page,
      next:
        rows.length > size
          ? CHANGES_CURSOR.encode(page[page.length - 1]!.version, { productVersionId })
          : '',
    };
  }

  private mayRead(productVersionId: string, caller: Caller): void {
    if (
      !caller.scopes.includes(TRELLIS_SCOPES.admin) &&
      caller.productVersionId !== productVersionId
    )
      throw new ScorecardError(
        ScorecardErrorCode.NotYours,
        'a system reads only its own product version’s compliance',
      );
  }

  /** One state change inside a unit of work: its repository, and its transaction for the event. */
  private async apply(
    repo: ComplianceRepository,
    tx: Prisma.TransactionClient,
    row: StoredCompliance,
    decision: Exclude<Decision, { kind: 'none' }>,
    now: Date,
    actor: string,
    override?: { reason: string; until: Date },
  ): Promise<StoredCompliance> {
    const f = decision.finding;
    const next: StoredCompliance = {
      ...row,
      policyVersion: this.policy.version,
      changedAt: now,
      rate: f.rate,
      ...(decision.kind === 'warn'
        ? { state: 'warned', severity: f.severity, warnedAt: now, enforcedAt: null }
        : decision.kind === 'enforce'
          ? { state: 'enforced', severity: f.severity, enforcedAt: now }
          : { state: 'compliant', severity: null, warnedAt: null, enforcedAt: null }),
      ...(override
        ? { overrideUntil: override.until, overrideReason: override.reason, overrideBy: actor }
        : {}),
    };
    const version = await repo.save(next, row.version === 0 ? null : row, {
      cause: override ? 'operator-override' : decision.kind,
      actor,
      reason: override?.reason ?? null,
      finding: { ...f, policyVersion: this.policy.version },
    });
    await conformanceOutbox.enqueue(
      tx,
      complianceEvent(this.config.CONFORMANCE_COMPLIANCE_TOPIC, row.productVersionId, decision, {
        version,
        policyVersion: this.policy.version,
        now,
        actor,
        ...(override ? { override } : {}),
      }),
    );
    this.logger.info(
      { product_version: row.productVersionId, from: row.state, to: next.state, actor, finding: f },
      'compliance state changed',
    );
    return { ...next, version };
  }
}
