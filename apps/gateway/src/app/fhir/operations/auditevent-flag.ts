import type { AuditEvent } from '@medplum/fhirtypes';
import { callerOf } from '@trellis/auth';
import { auditEventToFhir, FhirError } from '@trellis/fhir';

import { auditReadSubject } from '../audit-subjects';
import { forwardContext, sendFhir } from '../fhir.http';
import { type OperationHandler, param } from '../platform-fhir.controller';
import { fhirOperation } from './fhir-operation';

/** POST /fhir/AuditEvent/:id/$flag */
export const AUDITEVENT_FLAG = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'auditevent-flag',
    name: 'flag',
    status: 'active',
    kind: 'operation',
    description:
      "A citizen flags an access to their own record they do not recognise: recorded once (a repeat returns the first flag) and raised as AccessFlagged for the data protection officer of the organisation that made the access and for the regional authority of the patient's GP.",
    affectsState: true,
    code: 'flag',
    resource: ['AuditEvent'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      {
        name: 'reason',
        use: 'in',
        min: 1,
        max: '1',
        documentation: 'Why the access is not recognised (1–1000 characters)',
        type: 'string',
      },
      {
        name: 'return',
        use: 'out',
        min: 1,
        max: '1',
        documentation: 'The flagged access (extension access-flagged = when)',
        type: 'AuditEvent',
      },
    ],
  },
  {
    method: 'POST',
    platform: 'audit',
    scope: 'system/AuditEvent.u',
    patientData: true,
    patientAccess: true,
    subject: auditReadSubject,
    summary: 'A citizen flags an access to their record they do not recognise',
  },
);

/**
 * Serves AuditEvent/{id}/$flag: the patient only (a citizen's token), with a reason of 1–1000
 * characters; the audit store records the flag and raises it for the region of the patient's GP.
 */
export const flagAuditEvent: OperationHandler<AuditEvent> = async (ctx, req, res) => {
  const patient = callerOf(req)?.patient;
  if (!patient)
    throw FhirError.of(
      403,
      'forbidden',
      'audit.flag.patient-only',
      'only the patient can flag an access to their record',
    );
  const body = await ctx.parameters(req, 'AuditEvent', 'flag');
  const reason = param(body, 'reason')?.trim() ?? '';
  if (reason.length < 1 || reason.length > 1000)
    throw FhirError.of(
      400,
      'invalid',
      'audit.flag.reason',
      'reason must be 1–1000 characters',
      'Parameters.parameter',
    );
  const forward = forwardContext(req);
  // the region whose authority hears of it: the patient's GP practice's (own record only)
  const who = await ctx.call(
    ctx.platforms.patients.getPatient,
    { nhsNumber: patient },
    forward,
    'Patient',
  );
  const r = await ctx.call(
    ctx.platforms.audit.flagAccessEvent,
    {
      auditId: String(req.params['id']),
      reason,
      gpOdsCode: who.patient?.gp?.odsCode ?? '',
      gpRegion: who.patient?.gp?.region ?? '',
    },
    forward,
    'AuditEvent',
  );
  return sendFhir(res, 200, auditEventToFhir(r.event!));
};
