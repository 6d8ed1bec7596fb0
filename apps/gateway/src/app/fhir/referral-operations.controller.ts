import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { referralToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { versionHeaders } from './fhir.support';
import {
  instanceOperation,
  param,
  PlatformFhirController,
  REASON_PARAM,
} from './platform-fhir.controller';

/**
 * The referral transitions as FHIR operations on ServiceRequest/{id}, each declared with its
 * OperationDefinition: $accept, $reject, $return, $advise, $complete, $cancel, and $convert (an
 * advice-and-guidance request into a referral). The rules (who, from which state) are the
 * referrals platform's: a refusal there is answered as its OperationOutcome (422 naming the rule).
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReferralOperationsFhirController extends PlatformFhirController {
  private async transition(
    req: Request,
    res: Response,
    method:
      | 'acceptReferral'
      | 'rejectReferral'
      | 'returnReferral'
      | 'cancelReferral'
      | 'completeReferral'
      | 'giveAdvice',
    field: 'note' | 'reason' | 'advice',
  ): Promise<ServiceRequest> {
    const p = await this.parameters(
      req,
      'ServiceRequest',
      `operation:${method.charAt(0).toUpperCase()}${method.slice(1)}`,
    );
    const text = param(p, field) ?? param(p, 'reason') ?? param(p, 'note') ?? '';
    const r = await this.call(
      this.platforms.referrals[method],
      { referralId: String(req.params['id']), [field]: text },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, 200, s, versionHeaders(s));
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'accept',
      summary: 'Accept a referral (receiving organisation)',
      description:
        'The receiving organisation accepts the referral (e-RS accept). Returns the updated ServiceRequest.',
      parameters: [{ ...REASON_PARAM, name: 'note' }],
      returns: 'The referral',
    }),
  )
  accept(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'acceptReferral', 'note');
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'reject',
      summary: 'Reject a referral with a reason',
      description:
        'The receiving organisation rejects the referral with a reason. Returns the updated ServiceRequest.',
      parameters: [{ ...REASON_PARAM, min: 1 }],
      returns: 'The referral',
    }),
  )
  reject(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'rejectReferral', 'reason');
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'return',
      summary: 'Return a referral to the referrer with a reason (receiving organisation)',
      description:
        'The receiving organisation returns a sent or accepted referral to the referrer (e-RS return to referrer), e.g. when triage finds it should be managed elsewhere; the RTT clock stops. Parameters: reason (required). Returns the updated ServiceRequest (status revoked, meta.tag returned, the reason in the referral-status-reason extension); 422 from any other state.',
      parameters: [{ ...REASON_PARAM, min: 1 }],
      returns: 'The referral',
    }),
  )
  returnToReferrer(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'returnReferral', 'reason');
  }

  @FhirRoute({
    ...instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'convert',
      summary: 'Convert an advice-and-guidance request into a referral (referring organisation)',
      description:
        'The referring organisation turns a request answered with advice (status on-hold, advice-given) into a referral without re-entering it: a new ServiceRequest (201, basedOn the original, its own RTT clock from now), the original linked to it by the referral-converted-to extension. Parameters: note (optional, appended to the clinical summary). 422 when the request is not advice-given or was already converted.',
      parameters: [{ ...REASON_PARAM, name: 'note' }],
      returns: 'The new referral',
    }),
    scope: 'system/ServiceRequest.c',
  })
  async convert(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    const p = await this.parameters(req, 'ServiceRequest', 'operation:ConvertAdviceToReferral');
    const r = await this.call(
      this.platforms.referrals.convertAdviceToReferral,
      { referralId: String(req.params['id']), note: param(p, 'note') ?? '' },
      forwardContext(req),
      'ServiceRequest',
    );
    const s = referralToFhir(r.referral!);
    return sendFhir(res, 201, s, {
      ...versionHeaders(s),
      Location: `${this.base}/ServiceRequest/${s.id!}`,
    });
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'advise',
      summary: 'Answer a referral with advice instead of accepting it (advice and guidance)',
      description:
        'The receiving organisation returns advice (e-RS advice and guidance). Parameters: advice. Returns the updated ServiceRequest.',
      parameters: [{ ...REASON_PARAM, name: 'advice', min: 1 }],
      returns: 'The referral',
    }),
  )
  advise(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'giveAdvice', 'advice');
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'complete',
      summary: 'Complete (discharge) a referral',
      description:
        'The receiving organisation completes the referral. Parameters: note. Returns the updated ServiceRequest.',
      parameters: [{ ...REASON_PARAM, name: 'note' }],
      returns: 'The referral',
    }),
  )
  complete(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'completeReferral', 'note');
  }

  @FhirRoute(
    instanceOperation({
      resource: 'ServiceRequest',
      platform: 'referrals',
      name: 'cancel',
      summary: 'Cancel a referral (referring organisation)',
      description:
        'The referring organisation cancels the referral with a reason. Returns the updated ServiceRequest.',
      parameters: [{ ...REASON_PARAM, min: 1 }],
      returns: 'The referral',
    }),
  )
  cancelReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'cancelReferral', 'reason');
  }
}
