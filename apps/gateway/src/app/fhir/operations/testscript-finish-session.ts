import type { Bundle, Resource } from '@medplum/fhirtypes';
import { requireCaller } from '@trellis/auth';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { sendValidated, sessionParameter } from '../../certification/certification.fhir';
import { certificateToVerificationResult } from '../../certification/verification-result';
import { fhirOperation } from './fhir-operation';
import type { CertificationContext } from './testscript-start-session';

/** POST /fhir/TestScript/$finish-session */
export const TESTSCRIPT_FINISH_SESSION = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'testscript-finish-session',
    name: 'finish-session',
    status: 'active',
    kind: 'operation',
    description:
      'Closes the session and evaluates its recorded traffic: returns a collection Bundle with one TestReport per scenario and, when every required scenario passed, the conformance certificate as a VerificationResult.',
    affectsState: true,
    code: 'finish-session',
    resource: ['TestScript'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      {
        name: 'session',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'The session id $start-session returned',
        type: 'id',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The TestReports and, when certified, the VerificationResult',
        type: 'Bundle',
      },
    ],
  },
  {
    method: 'POST',
    scope: 'system/TestReport.c',
    summary:
      'Finish a conformance session: one TestReport per scenario, and a certificate when all pass',
  },
);

/**
 * Serves TestScript/$finish-session: closes the caller's session and answers a collection Bundle of
 * its TestReports and, when every required scenario passed, the certificate (VerificationResult).
 */
export async function finishTestScriptSession(
  ctx: CertificationContext,
  req: Request,
  res: Response,
): Promise<void> {
  const caller = requireCaller(req);
  const id = sessionParameter(req.body, 'session');
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id))
    throw FhirError.of(
      400,
      'invalid',
      'operation.parameter',
      'session (the id $start-session returned) is required',
    );
  const closed = await ctx.certification.finish(caller, id);
  const now = new Date();
  const resources: Resource[] = [
    ...closed.reports,
    ...(closed.certificate
      ? [certificateToVerificationResult(closed.certificate, ctx.publicUrl, now)]
      : []),
  ];
  const out: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: now.toISOString(),
    entry: resources.map((r) => ({
      fullUrl: `${ctx.publicUrl}/fhir/${r.resourceType}/${r.id ?? ''}`,
      resource: r,
    })),
  };
  sendValidated(res, 200, out);
}
