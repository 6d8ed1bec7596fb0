import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { ServiceRequest } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';

import { FhirExceptionFilter } from './fhir.http';
import { FHIR_PREFIX } from './fhir.registry';
import { PlatformFhirController } from './platform-fhir.controller';
import { ServeOperation } from './operations/fhir-operation';
import { acceptServiceRequest, SERVICEREQUEST_ACCEPT } from './operations/servicerequest-accept';
import { adviseServiceRequest, SERVICEREQUEST_ADVISE } from './operations/servicerequest-advise';
import { cancelServiceRequest, SERVICEREQUEST_CANCEL } from './operations/servicerequest-cancel';
import {
  completeServiceRequest,
  SERVICEREQUEST_COMPLETE,
} from './operations/servicerequest-complete';
import { convertServiceRequest, SERVICEREQUEST_CONVERT } from './operations/servicerequest-convert';
import { rejectServiceRequest, SERVICEREQUEST_REJECT } from './operations/servicerequest-reject';
import { returnServiceRequest, SERVICEREQUEST_RETURN } from './operations/servicerequest-return';

/**
 * The referral transitions as FHIR operations on ServiceRequest/{id}, each in its own file with
 * its OperationDefinition and handler (operations/servicerequest-*.ts): $accept, $reject, $return,
 * $advise, $complete, $cancel, and $convert (an advice-and-guidance request into a referral). The
 * rules (who, from which state) are the referrals platform's: a refusal there is answered as its
 * OperationOutcome (422 naming the rule).
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReferralOperationsFhirController extends PlatformFhirController {
  @ServeOperation(SERVICEREQUEST_ACCEPT)
  accept(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return acceptServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_REJECT)
  reject(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return rejectServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_RETURN)
  returnToReferrer(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return returnServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_CONVERT)
  convert(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return convertServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_ADVISE)
  advise(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return adviseServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_COMPLETE)
  complete(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return completeServiceRequest(this.operation, req, res);
  }

  @ServeOperation(SERVICEREQUEST_CANCEL)
  cancelReferral(@Req() req: Request, @Res() res: Response): Promise<ServiceRequest> {
    return cancelServiceRequest(this.operation, req, res);
  }
}
