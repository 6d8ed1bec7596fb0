import type { ServiceRequest } from '@medplum/fhirtypes';
import { referralToFhir } from '@trellis/fhir';

import { forwardContext, sendFhir } from '../fhir.http';
import { versionHeaders } from '../fhir.support';
import { type OperationHandler, param } from '../platform-fhir.controller';

/**
 * The handler of a referral transition operation ($accept, $reject, $return, $advise, $complete,
 * $cancel): the free text from its Parameters (`field`, else `reason` or `note`) to the referrals
 * platform's method; the rules (who, from which state) are the platform's, and a refusal there is
 * answered as its OperationOutcome (422 naming the rule).
 */
export function referralTransition(
  method:
    | 'acceptReferral'
    | 'rejectReferral'
    | 'returnReferral'
    | 'cancelReferral'
    | 'completeReferral'
    | 'giveAdvice',
  field: 'note' | 'reason' | 'advice',
): OperationHandler<ServiceRequest> {
  return async (ctx, req, res) => {
    const p = await ctx.parameters(
      req,
      'ServiceRequest',
      `operation:${method.charAt(0).toUpperCase()}${method.slice(1)}`,
    );
    const text = param(p, field) ?? param(p, 'reason') ?? param(p, 'note') ?? '';
    const r = await ctx.call(
      ctx.platforms.referrals[method],
      { referralId: String(req.params['id']), [field]: text },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, 200, s, versionHeaders(s));
  };
}
