import { Controller, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { Bundle, Resource, TestReport } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { FhirExceptionFilter } from '../fhir/fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir/fhir.registry';
import { droppedOutcome, searchOf } from '../fhir/fhir.search';
import { sendValidated } from './certification.fhir';
import { CertificationRepository } from './certification.repository';
import { CertificationService } from './certification.service';
import {
  TEST_REPORT_SEARCH_PARAMS,
  TEST_SCRIPT_SEARCH_PARAMS,
  VERIFICATION_RESULT_SEARCH_PARAMS,
} from './certification.routes';
import { CERTIFIABLE_ROLES, isCertifiableRole } from './exchange';
import { allScenarios, scenarioById, scenariosOf } from './scenarios';
import { scenarioToTestScript } from './test-script';
import { certificateStatus, certificateToVerificationResult } from './verification-result';
import { ServeOperation } from '../fhir/operations/fhir-operation';
import {
  finishTestScriptSession,
  TESTSCRIPT_FINISH_SESSION,
} from '../fhir/operations/testscript-finish-session';
import {
  type CertificationContext,
  startTestScriptSession,
  TESTSCRIPT_START_SESSION,
} from '../fhir/operations/testscript-start-session';

const OPERATOR_SCOPE = 'trellis/admin';
const notFound = (what: string) =>
  FhirError.of(404, 'not-found', 'fhir.not-found', `${what.slice(0, 80)} not found`);

/**
 * The conformance kit at the FHIR facade (issue 17): the scenarios as TestScripts (public), the
 * supplier's sessions ($start-session / $finish-session on TestScript, declared and handled in
 * their operation files), their TestReports, and the public certificate register as
 * VerificationResult. Every resource is checked by the FHIR validator before it leaves. Declared as FHIR routes (FhirRoute), registered by the FHIR module:
 * the shared search table checks every query and the CapabilityStatement, OperationDefinitions
 * and OpenAPI document list them (no back end needed: the gateway's own store serves them).
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class CertificationFhirController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly certification: CertificationService,
    private readonly repo: CertificationRepository,
  ) {}

  @FhirRoute({
    method: 'GET',
    path: 'TestScript',
    resource: 'TestScript',
    interaction: 'search-type',
    searchParams: TEST_SCRIPT_SEARCH_PARAMS,
    summary: 'The conformance scenarios a supplier system must pass, per role (public)',
  })
  scripts(@Req() req: Request, @Res() res: Response): void {
    const role = searchOf(req).one('context');
    if (role !== undefined && !isCertifiableRole(role))
      throw FhirError.of(
        400,
        'invalid',
        'search.value',
        `context must be one of ${CERTIFIABLE_ROLES.join(', ')}`,
      );
    const list = role ? scenariosOf(role).map((s) => ({ ...s, role })) : allScenarios();
    sendValidated(
      res,
      200,
      this.searchset(
        req,
        'TestScript',
        list.map((s) => scenarioToTestScript(s, this.config.publicUrl)),
      ),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: 'TestScript/:id',
    resource: 'TestScript',
    interaction: 'read',
    summary: 'One conformance scenario (public)',
  })
  script(@Req() req: Request, @Res() res: Response): void {
    const s = scenarioById(String(req.params['id']));
    if (!s) throw notFound(`TestScript/${String(req.params['id'])}`);
    sendValidated(res, 200, scenarioToTestScript(s, this.config.publicUrl));
  }

  @ServeOperation(TESTSCRIPT_START_SESSION)
  start(@Req() req: Request, @Res() res: Response): Promise<void> {
    return startTestScriptSession(this.sessions, req, res);
  }

  @ServeOperation(TESTSCRIPT_FINISH_SESSION)
  finish(@Req() req: Request, @Res() res: Response): Promise<void> {
    return finishTestScriptSession(this.sessions, req, res);
  }

  @FhirRoute({
    method: 'GET',
    path: 'TestReport',
    resource: 'TestReport',
    interaction: 'search-type',
    scope: 'system/TestReport.rs',
    searchParams: TEST_REPORT_SEARCH_PARAMS,
    summary: "A conformance session's TestReports (the system that ran it, or the operator)",
  })
  async reports(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    const session = searchOf(req).one('session');
    if (!session || !/^[0-9a-f-]{36}$/.test(session))
      throw FhirError.of(400, 'invalid', 'search.required', 'session=<session id> is required');
    const row = await this.repo.findSession(session);
    const mine =
      row && (row.systemId === caller.systemId || caller.scopes.includes(OPERATOR_SCOPE));
    const reports = mine ? await this.repo.reportsOf(session) : [];
    sendValidated(
      res,
      200,
      this.searchset(
        req,
        'TestReport',
        reports.map((r) => r.resource as unknown as TestReport),
      ),
    );
  }

  @FhirRoute({
    method: 'GET',
    path: 'TestReport/:id',
    resource: 'TestReport',
    interaction: 'read',
    scope: 'system/TestReport.rs',
    summary: 'One TestReport (the system that ran its session, or the operator)',
  })
  async report(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    const id = String(req.params['id']);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await this.repo.findReport(id) : null;
    const session = row ? await this.repo.findSession(row.sessionId) : null;
    if (
      !row ||
      !session ||
      (session.systemId !== caller.systemId && !caller.scopes.includes(OPERATOR_SCOPE))
    )
      throw notFound(`TestReport/${id}`);
    sendValidated(res, 200, row.resource as unknown as TestReport);
  }

  /** The public certificate register. */
  @FhirRoute({
    method: 'GET',
    path: 'VerificationResult',
    resource: 'VerificationResult',
    interaction: 'search-type',
    searchParams: VERIFICATION_RESULT_SEARCH_PARAMS,
    summary:
      'The public register of conformance certificates (active, suspended, revoked, expired)',
  })
  async register(@Req() req: Request, @Res() res: Response): Promise<void> {
    const search = searchOf(req);
    const target = search.one('target');
    const status = search.one('status');
    if (target !== undefined && !/^Group\/[A-Za-z0-9._@-]{1,200}$/.test(target))
      throw FhirError.of(
        400,
        'invalid',
        'search.value',
        'target must be Group/<product version id>',
      );
    const rows = await this.repo.certificates(target ? { productVersionId: target.slice(6) } : {});
    const now = new Date();
    const list = rows
      .filter((c) => status === undefined || certificateStatus(c, now) === status)
      .map((c) => certificateToVerificationResult(c, this.config.publicUrl, now));
    sendValidated(res, 200, this.searchset(req, 'VerificationResult', list));
  }

  @FhirRoute({
    method: 'GET',
    path: 'VerificationResult/:id',
    resource: 'VerificationResult',
    interaction: 'read',
    summary: 'One conformance certificate and its status (public)',
  })
  async certificate(@Req() req: Request, @Res() res: Response): Promise<void> {
    const id = String(req.params['id']);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await this.repo.findCertificate(id) : null;
    if (!row) throw notFound(`VerificationResult/${id}`);
    sendValidated(
      res,
      200,
      certificateToVerificationResult(row, this.config.publicUrl, new Date()),
    );
  }

  /** What the session operations use (their handlers live in their operation files). */
  private get sessions(): CertificationContext {
    return { certification: this.certification, publicUrl: this.config.publicUrl };
  }

  /** Every match on one page (the lists are short); `_count=0` and `_total=none` apply. */
  private searchset(req: Request, type: string, resources: Resource[]): Bundle {
    const search = searchOf(req);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(search.wantTotal ? { total: resources.length } : {}),
      link: [
        {
          relation: 'self',
          url: search.link(`${this.config.publicUrl}/${FHIR_PREFIX}/${type}`),
        },
      ],
      entry: [
        ...(search.count === 0 ? [] : resources).map((r) => ({
          fullUrl: `${this.config.publicUrl}/fhir/${r.resourceType}/${r.id ?? ''}`,
          resource: r,
          search: { mode: 'match' as const },
        })),
        ...droppedOutcome(search),
      ],
    };
  }
}
