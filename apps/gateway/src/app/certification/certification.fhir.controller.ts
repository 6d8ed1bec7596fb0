import { Controller, Get, Inject, Logger, Post, Req, Res, UseFilters } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { FhirError, validateFhirResource } from '@trellis/fhir';
import type { Bundle, Parameters, Resource, TestReport } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { FhirExceptionFilter, sendFhir } from '../fhir/fhir.http';
import { queryParams } from '../fhir/fhir.support';
import { CertificationRepository } from './certification.repository';
import { CertificationService } from './certification.service';
import { CERTIFIABLE_ROLES, isCertifiableRole } from './exchange';
import { allScenarios, scenarioById, scenariosOf } from './scenarios';
import { scenarioToTestScript } from './test-script';
import { certificateStatus, certificateToVerificationResult } from './verification-result';

const OPERATOR_SCOPE = 'trellis/admin';
const notFound = (what: string) =>
  FhirError.of(404, 'not-found', 'fhir.not-found', `${what.slice(0, 80)} not found`);

/** Only the named search parameters (a search parameter is never silently ignored). */
function onlyParams(req: Request, allowed: readonly string[]): Map<string, string[]> {
  const params = queryParams(req);
  for (const [name, values] of params) {
    if (!allowed.includes(name))
      throw FhirError.of(
        400,
        'not-supported',
        'search.unknown-parameter',
        `unknown search parameter ${name.slice(0, 64)}`,
      );
    if (values.length > 1)
      throw FhirError.of(
        400,
        'invalid',
        'search.repeated-parameter',
        `${name} given more than once`,
      );
  }
  return params;
}

function parameter(body: unknown, name: string): string | number | undefined {
  if (
    body === undefined ||
    body === null ||
    (typeof body === 'object' && Object.keys(body).length === 0)
  )
    return undefined;
  const p = body as Parameters;
  if (p.resourceType !== 'Parameters')
    throw FhirError.of(
      400,
      'invalid',
      'fhir.resource-type',
      'the body must be a Parameters resource',
    );
  const found = (p.parameter ?? []).filter((x) => x.name === name);
  if (found.length > 1)
    throw FhirError.of(
      400,
      'invalid',
      'operation.parameter',
      `parameter ${name} given more than once`,
    );
  const v = found[0];
  return v?.valueString ?? v?.valueCode ?? v?.valueId ?? v?.valueInteger ?? v?.valuePositiveInt;
}

/**
 * The conformance kit at the FHIR facade (issue 17): the scenarios as TestScripts (public), the
 * supplier's sessions ($start-session / $finish-session on TestScript), their TestReports, and the
 * public certificate register as VerificationResult. Every resource is checked by the FHIR
 * validator before it leaves.
 */
@Controller('fhir')
@UseFilters(FhirExceptionFilter)
export class CertificationFhirController {
  private readonly logger = new Logger('Certification');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly certification: CertificationService,
    private readonly repo: CertificationRepository,
  ) {}

  @Get('TestScript')
  scripts(@Req() req: Request, @Res() res: Response): void {
    const role = onlyParams(req, ['context']).get('context')?.[0];
    if (role !== undefined && !isCertifiableRole(role))
      throw FhirError.of(
        400,
        'invalid',
        'search.value',
        `context must be one of ${CERTIFIABLE_ROLES.join(', ')}`,
      );
    const list = role ? scenariosOf(role).map((s) => ({ ...s, role })) : allScenarios();
    this.send(
      res,
      200,
      this.searchset(
        req,
        list.map((s) => scenarioToTestScript(s, this.config.publicUrl)),
      ),
    );
  }

  @Get('TestScript/:id')
  script(@Req() req: Request, @Res() res: Response): void {
    const s = scenarioById(String(req.params['id']));
    if (!s) throw notFound(`TestScript/${String(req.params['id'])}`);
    this.send(res, 200, scenarioToTestScript(s, this.config.publicUrl));
  }

  @Post('TestScript/$start-session')
  async start(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    const role = parameter(req.body, 'role');
    const retry = parameter(req.body, 'retry-after') ?? 2;
    const retryAfter = Number(retry);
    if (!Number.isInteger(retryAfter) || retryAfter < 1 || retryAfter > 30)
      throw FhirError.of(400, 'invalid', 'operation.parameter', 'retry-after must be 1-30 seconds');
    const session = await this.certification.start(
      caller,
      role === undefined ? undefined : String(role),
      retryAfter,
    );
    const scripts = isCertifiableRole(session.role) ? scenariosOf(session.role) : [];
    const out: Parameters = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'session', valueId: session.id },
        { name: 'role', valueCode: session.role },
        { name: 'product-version', valueString: session.productVersionId },
        { name: 'rules-version', valueString: session.rulesVersion },
        ...scripts.map((s) => ({
          name: 'scenario',
          valueReference: { reference: `TestScript/${s.id}` },
        })),
      ],
    };
    this.send(res, 201, out);
  }

  @Post('TestScript/$finish-session')
  async finish(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    const id = parameter(req.body, 'session');
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id))
      throw FhirError.of(
        400,
        'invalid',
        'operation.parameter',
        'session (the id $start-session returned) is required',
      );
    const closed = await this.certification.finish(caller, id);
    const now = new Date();
    const resources: Resource[] = [
      ...closed.reports,
      ...(closed.certificate
        ? [certificateToVerificationResult(closed.certificate, this.config.publicUrl, now)]
        : []),
    ];
    const out: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: now.toISOString(),
      entry: resources.map((r) => ({
        fullUrl: `${this.config.publicUrl}/fhir/${r.resourceType}/${r.id ?? ''}`,
        resource: r,
      })),
    };
    this.send(res, 200, out);
  }

  @Get('TestReport')
  async reports(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = requireCaller(req);
    const session = onlyParams(req, ['session']).get('session')?.[0];
    if (!session || !/^[0-9a-f-]{36}$/.test(session))
      throw FhirError.of(400, 'invalid', 'search.required', 'session=<session id> is required');
    const row = await this.repo.findSession(session);
    const mine =
      row && (row.systemId === caller.systemId || caller.scopes.includes(OPERATOR_SCOPE));
    const reports = mine ? await this.repo.reportsOf(session) : [];
    this.send(
      res,
      200,
      this.searchset(
        req,
        reports.map((r) => r.resource as unknown as TestReport),
      ),
    );
  }

  @Get('TestReport/:id')
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
    this.send(res, 200, row.resource as unknown as TestReport);
  }

  /** The public certificate register. */
  @Get('VerificationResult')
  async register(@Req() req: Request, @Res() res: Response): Promise<void> {
    const params = onlyParams(req, ['target', 'status']);
    const target = params.get('target')?.[0];
    const status = params.get('status')?.[0];
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
    this.send(res, 200, this.searchset(req, list));
  }

  @Get('VerificationResult/:id')
  async certificate(@Req() req: Request, @Res() res: Response): Promise<void> {
    const id = String(req.params['id']);
    const row = /^[0-9a-f-]{36}$/.test(id) ? await this.repo.findCertificate(id) : null;
    if (!row) throw notFound(`VerificationResult/${id}`);
    this.send(res, 200, certificateToVerificationResult(row, this.config.publicUrl, new Date()));
  }

  private searchset(req: Request, resources: Resource[]): Bundle {
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: resources.length,
      link: [{ relation: 'self', url: `${this.config.publicUrl}${req.originalUrl}` }],
      entry: resources.map((r) => ({
        fullUrl: `${this.config.publicUrl}/fhir/${r.resourceType}/${r.id ?? ''}`,
        resource: r,
        search: { mode: 'match' as const },
      })),
    };
  }

  /** Sends a resource after the FHIR validator accepted it (a 500 if our own output is invalid). */
  private send(res: Response, status: number, resource: Resource): void {
    const { issues } = validateFhirResource(resource);
    if (issues.length > 0) {
      this.logger.error(
        `${resource.resourceType} failed validation: ${issues.map((i) => i.message).join('; ')}`,
      );
      throw FhirError.of(
        500,
        'exception',
        'fhir.outbound-invalid',
        `${resource.resourceType} could not be rendered`,
      );
    }
    sendFhir(res, status, resource);
  }
}
