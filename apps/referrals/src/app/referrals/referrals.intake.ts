import { createHash } from 'node:crypto';

import { regionOfOrganisation } from '@trellis/service-kit';

import { idempotentCreate } from '@trellis/database';
import type { Actor } from '../domain/ports';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { REGION_CODE, Violations } from '../domain/validation';
import type { NewAttachment, ReferralWithAttachments } from './referrals.repository';
import {
  type AttachmentInput,
  type CallContext,
  checkClinical,
  dbPriority,
  LIMITS,
  type ReferralSupport,
  type SendInput,
  sha256Hex,
} from './referrals.support';

const MIME = /^[a-z]+\/[a-z0-9][a-z0-9.+-]{0,99}$/;

const SHA256 = /^[0-9a-f]{64}$/;

/** Sending a referral: validated, identity-checked, idempotent on the referrer's key. */
export class ReferralIntake {
  constructor(private readonly s: ReferralSupport) {}

  async send(
    actor: Actor,
    input: SendInput,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; replayed: boolean }> {
    const v = new Violations();
    if (v.required('idempotency_key', input.idempotencyKey))
      v.idempotencyKey('idempotency_key', input.idempotencyKey);
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    if (v.required('practitioner_id', input.practitionerId))
      v.code('practitioner_id', input.practitionerId, 'practitioner_id must be an identifier');
    // the target must exist in the ODS reference data, and its region is the reference data's
    const target = v.organisation('target.ods_code', input.target.odsCode);
    if (input.target.odsCode && input.target.odsCode === actor.odsCode)
      v.add('target.ods_code', 'different-organisation', 'an organisation cannot refer to itself');
    if (
      input.target.region &&
      v.pattern(
        'target.region',
        input.target.region,
        REGION_CODE,
        'region',
        'target.region must be a region code such as north-east',
      )
    )
      v.regionOf('target.region', target, input.target.region);
    if (v.required('target.specialty_code', input.target.specialtyCode))
      v.code(
        'target.specialty_code',
        input.target.specialtyCode,
        'target.specialty_code must be a code',
      );
    checkClinical(v, input);
    const attachments = this.checkAttachments(input.attachments, v);
    v.throwIfAny();

    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          nhsNumber,
          input.practitionerId,
          input.target,
          input.priority,
          input.reason,
          input.clinicalSummary,
          attachments.map((a) => [a.contentType, a.title, a.sha256]),
        ]),
      )
      .digest('hex');
    const request = idempotentCreate({
      stored: () => this.s.repo.findByIdempotencyKey(actor.odsCode, input.idempotencyKey),
      requestHash,
      reused: (existing) =>
        new ReferralsError(
          ReferralsErrorCode.IdempotencyKeyReused,
          `Idempotency key '${input.idempotencyKey}' was already used by this organisation for a different referral (${existing.id})`,
          { idempotencyKey: input.idempotencyKey, referralId: existing.id },
        ),
    });
    const earlier = await request.replay();
    if (earlier) return { referral: earlier, replayed: true };

    await this.s.assertPatientReferrable(nhsNumber!, ctx);
    const now = this.s.clock.now();
    const { row: referral, replayed } = await request.create(() =>
      this.s.repo.inTransaction((repo, tx) =>
        this.s.createReferral(
          repo,
          tx,
          actor,
          ctx,
          now,
          {
            nhsNumber: nhsNumber!,
            referrerOdsCode: actor.odsCode,
            referrerRegion: regionOfOrganisation(actor.odsCode) ?? actor.region,
            referrerPractitionerId: input.practitionerId,
            targetOdsCode: target!.odsCode,
            targetRegion: target!.region,
            specialtyCode: input.target.specialtyCode,
            priority: dbPriority(input.priority!),
            reasonCode: input.reason.code,
            reasonDisplay: input.reason.display,
            clinicalSummary: input.clinicalSummary,
            idempotencyKey: input.idempotencyKey,
            requestHash,
          },
          attachments,
        ),
      ),
    );
    return { referral, replayed };
  }

  private checkAttachments(list: AttachmentInput[], v: Violations): NewAttachment[] {
    if (list.length > LIMITS.attachments)
      v.add('attachments', 'max-items', `at most ${LIMITS.attachments} attachments per referral`);
    const out: NewAttachment[] = [];
    const tooLarge: string[] = [];
    list.forEach((a, i) => {
      const f = `attachments[${i}]`;
      if (v.required(`${f}.content_type`, a.contentType))
        v.pattern(
          `${f}.content_type`,
          a.contentType,
          MIME,
          'mime-type',
          `${f}.content_type must be a MIME type such as application/pdf`,
        );
      if ((a.title ?? '').length > 200)
        v.add(`${f}.title`, 'max-length', `${f}.title must be at most 200 characters`);
      if (a.data.length === 0) v.add(`${f}.data`, 'required', `${f}.data is empty`);
      if (a.data.length > LIMITS.attachmentBytes) {
        tooLarge.push(
          `${f} is ${a.data.length} bytes; the limit is ${LIMITS.attachmentBytes} bytes (1 MiB)`,
        );
        return;
      }
      const sha256 = sha256Hex(a.data);
      if (a.sha256 && (!SHA256.test(a.sha256) || a.sha256 !== sha256))
        v.add(
          `${f}.sha256`,
          'checksum',
          `${f}.sha256 does not match the data (computed ${sha256})`,
        );
      out.push({
        contentType: a.contentType,
        title: a.title ?? '',
        size: a.data.length,
        sha256,
        data: Uint8Array.from(a.data),
      });
    });
    if (tooLarge.length > 0) {
      throw new ReferralsError(
        ReferralsErrorCode.AttachmentTooLarge,
        `Attachment too large: ${tooLarge.join('; ')}`,
        { limitBytes: String(LIMITS.attachmentBytes) },
        tooLarge.map((message, i) => ({
          field: message.split(' ')[0] ?? `attachments[${i}]`,
          rule: 'max-size',
          message,
        })),
      );
    }
    return out;
  }
}
