import type { ServiceRequest } from '@medplum/fhirtypes';
import { referralToFhir } from '@trellis/fhir';

import { forwardContext, sendFhir } from '../fhir.http';
import { versionHeaders } from '../fhir.support';
import { type OperationHandler, param, resourceSubject } from '../platform-fhir.controller';
import {
  fhirOperation,
  freeTextParameter,
  instanceOperationDefinition,
  returnParameter,
} from './fhir-operation';

/** POST /fhir/ServiceRequest/:id/$convert */
export const SERVICEREQUEST_CONVERT = fhirOperation(
  instanceOperationDefinition('ServiceRequest', 'convert', {
    description:
      'The referring organisation turns a request answered with advice (status on-hold, advice-given) into a referral without re-entering it: a new ServiceRequest (201, basedOn the original, its own RTT clock from now), the original linked to it by the referral-converted-to extension. Parameters: note (optional, appended to the clinical summary). 422 when the request is not advice-given or was already converted.',
    affectsState: true,
    parameter: [
      freeTextParameter('note', 0),
      returnParameter('ServiceRequest', 'The new referral'),
    ],
  }),
  {
    method: 'POST',
    platform: 'referrals',
    scope: 'system/ServiceRequest.c',
    patientData: true,
    subject: resourceSubject,
    summary: 'Convert an advice-and-guidance request into a referral (referring organisation)',
  },
);

/** Serves ServiceRequest/{id}/$convert: the new referral, 201 with its Location. */
export const convertServiceRequest: OperationHandler<ServiceRequest> = async (ctx, req, res) => {
  const p = await ctx.parameters(req, 'ServiceRequest', 'operation:ConvertAdviceToReferral');
  const r = await ctx.call(
    ctx.platforms.referrals.convertAdviceToReferral,
    { referralId: String(req.params['id']), note: param(p, 'note') ?? '' },
    forwardContext(req),
    'ServiceRequest',
  );
  const s = referralToFhir(r.referral!);
  return sendFhir(res, 201, s, {
    ...versionHeaders(s),
    Location: `${ctx.base}/ServiceRequest/${s.id!}`,
  });
};
