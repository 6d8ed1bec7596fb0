import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { type Caller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { TestReport } from '@medplum/fhirtypes';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { LookupCache } from '../lookup-cache';
import { LifecycleService } from '../regions/lifecycle.service';
import { type SigningKeyRing } from '../tokens/signing-keys';
import { SIGNING_KEY_RING } from '../tokens/tokens.service';
import {
  CertificationRepository,
  type CertificateRow,
  type SessionRow,
} from './certification.repository';
import { signCertificate } from './certificate-jwt';
import { type FaultPlan } from './checks';
import { type Exchange, type FaultKind, isCertifiableRole, RULES_VERSION } from './exchange';
import { scenarioById } from './scenarios';
import { answeredExchanges, evaluateScenarios } from './session-progress';
import { testReportOf } from './test-script';

/** JWT `typ` of a conformance certificate (distinct from access tokens: never accepted as one). */
export { CERTIFICATE_TYPE } from './certificate-jwt';
export const CERTIFICATE_TTL_DAYS = 365;
const CACHE_MS = 2000;

export interface FaultDecision {
  kind: FaultKind;
  retryAfter: number | null;
  /** For `duplicate`: the patient the refusal names. */
  candidate?: string | null;
}

export interface ClosedSession {
  session: SessionRow;
  reports: TestReport[];
  certificate?: CertificateRow;
}

/** Conformance sessions, their evaluation into TestReports, and certificates (issue 17). */
@Injectable()
export class CertificationService {
  /** Each system's open session, read on every request of every system (sandbox interceptor). */
  private readonly open = new LookupCache<SessionRow | null>(CACHE_MS);
  /** Answers not yet recorded, per session: the next request and the evaluation wait for them. */
  private readonly inflight = new Map<string, Map<number, () => void>>();
  private readonly recorded = new Map<string, Map<number, Promise<void>>>();

  constructor(
    private readonly repo: CertificationRepository,
    @Inject(SIGNING_KEY_RING) private readonly keys: SigningKeyRing,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly lifecycle: LifecycleService,
  ) {}

  async start(caller: Caller, role: string | undefined, retryAfter: number): Promise<SessionRow> {
    const pv = caller.productVersionId;
    const product = pv ? await this.repo.productOf(pv) : undefined;
    if (!product)
      throw FhirError.of(
        422,
        'business-rule',
        'conformance.product-version',
        'the calling system names no registered product version',
      );
    if (!isCertifiableRole(product.role))
      throw FhirError.of(
        422,
        'business-rule',
        'conformance.role',
        `product role ${product.role} has no conformance scenarios`,
      );
    if (role !== undefined && role !== product.role)
      throw FhirError.of(
        422,
        'business-rule',
        'conformance.role',
        `the product ${product.productId} has role ${product.role}, not ${role.slice(0, 40)}`,
      );
    const lifecycle = await this.repo.lifecycleOf(caller.systemId);
    if (lifecycle !== 'sandbox' && lifecycle !== 'certified')
      throw FhirError.of(
        422,
        'business-rule',
        'conformance.sandbox-only',
        lifecycle === 'live'
          ? 'conformance sessions run in the sandbox: this system is in production (live)'
          : `conformance sessions run in the sandbox: this system is ${lifecycle} (lifecycle registered → sandbox first)`,
      );
    const opened = await this.repo.openSession({
      id: randomUUID(),
      systemId: caller.systemId,
      productVersionId: product.productVersionId,
      role: product.role,
      rulesVersion: RULES_VERSION,
      retryAfterSeconds: retryAfter,
    });
    if ('open' in opened)
      throw FhirError.of(
        409,
        'conflict',
        'conformance.session-open',
        `session ${opened.open.id} is already open for this system`,
      );
    this.open.set(caller.systemId, opened);
    return opened;
  }

  /**
   * The operator moves a system between sandbox and production (go-live, or back): since issue 18
   * a forced lifecycle move (production = live), recorded as a national override.
   */
  async setEnvironment(
    systemId: string,
    environment: 'sandbox' | 'production',
    reason: string,
    actor: string | Caller,
  ): Promise<boolean> {
    const caller: Caller =
      typeof actor === 'string'
        ? {
            systemId: actor,
            odsCode: '',
            region: '',
            scopes: ['trellis/admin'],
            tokenId: '',
            expiresAt: 0,
          }
        : actor;
    const done = await this.lifecycle.force(
      systemId,
      environment === 'production' ? 'live' : 'sandbox',
      reason,
      caller,
    );
    this.open.forget(systemId);
    return done;
  }

  revoke(certificateId: string, reason: string): Promise<boolean> {
    return this.repo.revoke(certificateId, reason);
  }

  /** The system's open session (cached briefly: checked on every request of every system). */
  openSessionOf(systemId: string): Promise<SessionRow | null> {
    return this.open.get(systemId, () => this.repo.findOpenSession(systemId));
  }

  /** Records an arriving request; returns its seq and the fault the scenario plans for it. */
  async arrive(
    session: SessionRow,
    x: Pick<Exchange, 'scenario' | 'method' | 'path' | 'query' | 'ifMatch' | 'ifNoneExist' | 'key'>,
  ): Promise<{ seq: number; fault: FaultDecision | null }> {
    const scenario = x.scenario ? scenarioById(x.scenario) : undefined;
    const plan: FaultPlan | undefined =
      scenario?.role === session.role
        ? scenario.faults.find((f) => f.method === x.method && f.path.test(x.path))
        : undefined;
    await this.settled(session.id);
    const { seq, earlier } = await this.repo.arrive(
      session.id,
      { ...x, at: new Date() },
      plan?.path,
    );
    this.track(session.id, seq);
    if (!plan || earlier + 1 !== plan.occurrence) return { seq, fault: null };
    const retryAfter =
      plan.kind === 'rate-limit' || plan.kind === 'unavailable' ? session.retryAfterSeconds : null;
    const candidate =
      plan.kind === 'duplicate' && x.scenario
        ? await this.repo.firstCreated(session.id, x.scenario, x.path)
        : undefined;
    return {
      seq,
      fault: { kind: plan.kind, retryAfter, ...(candidate !== undefined ? { candidate } : {}) },
    };
  }

  answered(
    sessionId: string,
    seq: number,
    a: {
      status: number;
      fault: FaultKind | null;
      resourceId: string | null;
      retryAfter: number | null;
    },
  ): Promise<void> {
    return this.repo.answered(sessionId, seq, { ...a, doneAt: new Date() }).finally(() => {
      this.inflight.get(sessionId)?.get(seq)?.();
    });
  }

  private track(sessionId: string, seq: number): void {
    let resolve: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolve = r));
    const pending = this.recorded.get(sessionId) ?? new Map<number, Promise<void>>();
    const resolvers = this.inflight.get(sessionId) ?? new Map<number, () => void>();
    pending.set(seq, done);
    resolvers.set(seq, () => {
      pending.delete(seq);
      resolvers.delete(seq);
      resolve();
    });
    this.recorded.set(sessionId, pending);
    this.inflight.set(sessionId, resolvers);
  }

  /**
   * Waits (at most 5 s) until this replica has recorded the answers of the session's earlier
   * requests: a client may send its next request before the previous answer's row is written.
   */
  private async settled(sessionId: string): Promise<void> {
    const pending = [...(this.recorded.get(sessionId)?.values() ?? [])];
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((r) => (timer = setTimeout(r, 5000))),
    ]);
    clearTimeout(timer);
  }

  /** Closes the caller's session: one TestReport per scenario; a certificate when all passed. */
  async finish(caller: Caller, sessionId: string): Promise<ClosedSession> {
    const session = await this.repo.findSession(sessionId);
    if (!session || session.systemId !== caller.systemId)
      throw FhirError.of(
        404,
        'not-found',
        'conformance.session',
        `session ${sessionId.slice(0, 64)} not found`,
      );
    if (session.status !== 'open')
      throw FhirError.of(
        409,
        'conflict',
        'conformance.session-closed',
        `session ${session.id} is already closed`,
      );
    if (!isCertifiableRole(session.role))
      throw FhirError.of(422, 'business-rule', 'conformance.role', `role ${session.role}`);
    await this.settled(session.id);
    const all = answeredExchanges(await this.repo.exchanges(session.id));
    const issued = new Date();
    const reports = evaluateScenarios(session.role, all).map(({ scenario: s, results }) =>
      testReportOf({
        id: randomUUID(),
        scenario: { ...s, role: session.role as (typeof s.roles)[number] },
        results,
        sessionId: session.id,
        systemId: session.systemId,
        base: this.config.publicUrl,
        issued,
      }),
    );
    const passed = reports.every((r) => r.result === 'pass');
    const certificate = passed ? await this.certificateFor(session, reports, issued) : undefined;
    const closed = await this.repo.close({
      sessionId: session.id,
      result: passed ? 'pass' : 'fail',
      reports: reports.map((r) => ({
        id: r.id!,
        scenario: r.testScript.reference!.replace('TestScript/', ''),
        result: r.result,
        resource: r,
      })),
      ...(certificate ? { certificate } : {}),
      issuedAt: issued,
    });
    if (closed === 'not-open')
      throw FhirError.of(
        409,
        'conflict',
        'conformance.session-closed',
        `session ${session.id} is already closed`,
      );
    this.open.forget(caller.systemId);
    this.recorded.delete(session.id);
    this.inflight.delete(session.id);
    return {
      session: closed,
      reports,
      ...(certificate
        ? { certificate: { ...certificate, statusReason: null, statusChangedAt: issued } }
        : {}),
    };
  }

  private async certificateFor(
    session: SessionRow,
    reports: TestReport[],
    issued: Date,
  ): Promise<Omit<CertificateRow, 'statusChangedAt' | 'statusReason'>> {
    const product = await this.repo.productOf(session.productVersionId);
    if (!product) throw new Error(`product version ${session.productVersionId} vanished`);
    const id = randomUUID();
    const expires = new Date(issued.getTime() + CERTIFICATE_TTL_DAYS * 86_400_000);
    const key = this.keys.current;
    const reportIds = reports.map((r) => r.id!);
    const jwt = await signCertificate(key, this.config.publicUrl, {
      id,
      issued,
      expires,
      claims: {
        supplier: product.supplier,
        product: product.productId,
        product_name: product.product,
        version: product.version,
        product_version: product.productVersionId,
        role: session.role,
        rules_version: session.rulesVersion,
        test_reports: reportIds.map((r) => `${this.config.publicUrl}/fhir/TestReport/${r}`),
        session: session.id,
      },
    });
    return {
      id,
      productVersionId: product.productVersionId,
      role: session.role,
      rulesVersion: session.rulesVersion,
      supplier: product.supplier,
      product: product.productId,
      version: product.version,
      sessionId: session.id,
      testReportIds: reportIds,
      jwt,
      status: 'active',
      issuedAt: issued,
      expiresAt: expires,
    };
  }
}
