import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Binary } from '@medplum/fhirtypes';
import type { AuditSubject, AuditSubjectExtractor } from '@trellis/auth';
import type { Request, Response } from 'express';

import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { PlatformFhirController } from './platform-fhir.controller';

/** What each Binary read touched (the referral and its patient), for the access audit. */
const AUDITED = new WeakMap<object, AuditSubject>();
const binarySubject: AuditSubjectExtractor = (req) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  return AUDITED.get(req as object) ?? (id ? { resourceId: id } : {});
};

/**
 * Binary: a referral attachment's content (ServiceRequest.supportingInfo → Binary/{id}), with the
 * referral's read rules: scope system/ServiceRequest.r, only its two organisations or its patient
 * (anyone else 404), audited with the referral and the patient. The stored SHA-256 is sent as a
 * `Digest` header so the receiver can check what it got.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class ReferralBinaryFhirController extends PlatformFhirController {
  @FhirRoute({
    method: 'GET',
    path: 'Binary/:id',
    resource: 'Binary',
    platform: 'referrals',
    interaction: 'read',
    scope: 'system/ServiceRequest.r',
    patientData: true,
    patientAccess: true,
    subject: binarySubject,
    summary:
      'Download a referral attachment (the referral’s read rules: its two organisations and its patient)',
  })
  async readBinary(@Req() req: Request, @Res() res: Response): Promise<Binary> {
    const r = await this.call(
      this.platforms.referrals.getReferralAttachment,
      { attachmentId: String(req.params['id']) },
      forwardContext(req),
      'Binary',
    );
    AUDITED.set(req, { resourceId: r.referralId, nhsNumber: r.nhsNumber });
    const a = r.attachment!;
    const binary: Binary = {
      resourceType: 'Binary',
      id: a.id,
      contentType: a.contentType,
      securityContext: { reference: `ServiceRequest/${r.referralId}` },
      data: Buffer.from(r.data).toString('base64'),
    };
    return sendFhir(res, 200, binary, {
      Digest: `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`,
    });
  }
}
