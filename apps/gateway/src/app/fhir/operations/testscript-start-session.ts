import type { Parameters } from '@medplum/fhirtypes';
import { requireCaller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { sendValidated, sessionParameter } from '../../certification/certification.fhir';
import type { CertificationService } from '../../certification/certification.service';
import { CERTIFIABLE_ROLES, isCertifiableRole } from '../../certification/exchange';
import { scenariosOf } from '../../certification/scenarios';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/TestScript/$start-session */
export const TESTSCRIPT_START_SESSION = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'testscript-start-session',
    name: 'start-session',
    status: 'active',
    kind: 'operation',
    description:
      "Opens a conformance session for the calling system's product version: while it is open the system's sandbox traffic is recorded, faults are injected, and it is evaluated against the role's TestScripts on $finish-session. Returns the session id, role, product version, rules version and the scenarios.",
    affectsState: true,
    code: 'start-session',
    resource: ['TestScript'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'role',
        use: 'in',
        min: 0,
        max: '1',
        documentation: `${CERTIFIABLE_ROLES.join(' | ')}: must be the product's role (default: that role)`,
        type: 'code',
      },
      {
        name: 'retry-after',
        use: 'in',
        min: 0,
        max: '1',
        documentation: 'Seconds the injected 429 asks the client to wait (1-30, default 2)',
        type: 'integer',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation:
          'session, role, product-version, rules-version and one scenario per TestScript',
        type: 'Parameters',
      },
    ],
  },
  {
    method: 'POST',
    scope: 'system/TestReport.c',
    summary:
      'Start a conformance session for the calling sandbox system (its product version and role)',
  },
);

/** What the conformance session operations use: the sessions, and the public URL. */
export interface CertificationContext {
  readonly certification: CertificationService;
  readonly publicUrl: string;
}

/**
 * Serves TestScript/$start-session: opens a session for the calling system's product version
 * (201 with the session id, role, versions and the role's scenarios).
 */
export async function startTestScriptSession(
  ctx: CertificationContext,
  req: Request,
  res: Response,
): Promise<void> {
  const caller = requireCaller(req);
  const role = sessionParameter(req.body, 'role');
  const retry = sessionParameter(req.body, 'retry-after') ?? 2;
  const retryAfter = Number(retry);
  if (!Number.isInteger(retryAfter) || retryAfter < 1 || retryAfter > 30)
    throw FhirError.of(400, 'invalid', 'operation.parameter', 'retry-after must be 1-30 seconds');
  const session = await ctx.certification.start(
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
  sendValidated(res, 201, out);
}
