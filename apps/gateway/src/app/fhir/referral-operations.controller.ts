import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { referralToFhir } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { versionHeaders } from './fhir.support';
import { param, PlatformFhirController } from './platform-fhir.controller';
import { SERVICEREQUEST_ACCEPT } from './operations/servicerequest-accept';
import { ServeOperation } from './operations/fhir-operation';
import { SERVICEREQUEST_REJECT } from './operations/servicerequest-reject';
import { SERVICEREQUEST_RETURN } from './operations/servicerequest-return';
import { SERVICEREQUEST_CONVERT } from './operations/servicerequest-convert';
import { SERVICEREQUEST_ADVISE } from './operations/servicerequest-advise';
import { SERVICEREQUEST_COMPLETE } from './operations/servicerequest-complete';
import { SERVICEREQUEST_CANCEL } from './operations/servicerequest-cancel';

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

  @ServeOperation(SERVICEREQUEST_ACCEPT)
  accept(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'acceptReferral', 'note');
  }

  @ServeOperation(SERVICEREQUEST_REJECT)
  reject(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'rejectReferral', 'reason');
  }

  @ServeOperation(SERVICEREQUEST_RETURN)
  returnToReferrer(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'returnReferral', 'reason');
  }

  @ServeOperation(SERVICEREQUEST_CONVERT)
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

  @ServeOperation(SERVICEREQUEST_ADVISE)
  advise(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'giveAdvice', 'advice');
  }

  @ServeOperation(SERVICEREQUEST_COMPLETE)
  complete(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'completeReferral', 'note');
  }

  @ServeOperation(SERVICEREQUEST_CANCEL)
  cancelReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return this.transition(req, res, 'cancelReferral', 'reason');
  }
}
