import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { requireCaller, type AuditSubject, type AuditSubjectExtractor } from '@trellis/auth';
import { RECORD_TYPES, SNOMED_SYSTEM } from '@trellis/codes';
import { FhirError, fhirErrorFromPlatform, NHS_NUMBER_SYSTEM } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { pointerFieldPath, pointerRequestFromFhir, pointerToFhir } from './document-reference.fhir';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { clip, PATIENT_MODIFIERS, rawQuery, readPatientParam, searchOf } from './fhir.search';
import { versionHeaders } from './fhir.support';
import { PlatformFhirController } from './platform-fhir.controller';
import { PlatformCallError } from './platform-clients';

/** What each interaction touched (pointer id and patient), for the access audit. */
const AUDITED = new WeakMap<object, AuditSubject>();
const pointerSubject: AuditSubjectExtractor = (req, res) => {
  const seen = AUDITED.get(req as object);
  if (seen) return seen;
  const id = (req as { params?: { id?: string } }).params?.id;
  const nhs = (res as DocumentReference | undefined)?.subject?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(nhs ? { nhsNumber: nhs } : {}) };
};

/** The patient criteria a pointer search accepts (NRL: subject:identifier; also patient). */
const PATIENT_CRITERIA = ['subject', 'patient', 'patient.identifier'] as const;

function patientOfParam(name: string, value: string, modifier: string | undefined): string {
  return name === 'patient.identifier'
    ? readPatientParam(value, 'identifier', name)
    : readPatientParam(value, modifier, name);
}

/** The audit subject of a pointer search: the patient however the query names them. */
const searchSubject: AuditSubjectExtractor = (req) => {
  for (const [key, value] of rawQuery(req as Request)) {
    const [name = '', modifier] = key.split(':');
    if (!(PATIENT_CRITERIA as readonly string[]).includes(name)) continue;
    try {
      return { nhsNumber: patientOfParam(name, value, modifier) };
    } catch {
      // not a patient: the search itself refuses it
    }
  }
  return {};
};

const TYPE_CODES = RECORD_TYPES.map((t) => `${t.code} (${t.display})`).join(', ');

/**
 * DocumentReference: the record locator (England's NRL model), served by identity's
 * RecordLocatorService. Custodians register pointers to documents they hold (POST), replace them
 * by a new version (POST with relatesTo.code = replaces, as NRL does; PUT is not served) and
 * retire them (DELETE); anyone with the read scopes finds a patient's current pointers by type.
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class DocumentReferenceFhirController extends PlatformFhirController {
  @FhirRoute({
    method: 'POST',
    path: 'DocumentReference',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'create',
    scope: 'system/DocumentReference.c',
    patientData: true,
    subject: pointerSubject,
    summary:
      'Register a pointer to a document the caller holds (custodian = the caller); with relatesTo replaces: a new version superseding the caller’s current pointer (also needs system/DocumentReference.u); masterIdentifier = idempotency key',
  })
  async create(@Req() req: Request, @Res() res: Response): Promise<DocumentReference> {
    const body = await this.validated<DocumentReference>(req, 'DocumentReference', 'create', {
      mode: 'create',
    });
    const ctx = forwardContext(req);
    let request: ReturnType<typeof pointerRequestFromFhir>;
    try {
      request = pointerRequestFromFhir(body, requireCaller(req).odsCode);
    } catch (err) {
      if (err instanceof FhirError)
        await this.conformance.record(
          requireCaller(req),
          'DocumentReference',
          'create',
          err.status,
          err.issues,
          ctx.correlationId,
        );
      throw err;
    }
    AUDITED.set(req, { nhsNumber: request.pointer.nhsNumber });
    if (request.replacesId !== undefined) {
      const r = await this.pointerCall(
        () =>
          this.platforms.call(
            this.platforms.records.supersedePointer,
            { replacesId: request.replacesId!, pointer: request.pointer },
            ctx,
          ),
        request.replacesId,
      );
      return this.answerCreated(req, res, r.pointer!, r.replayed);
    }
    const r = await this.pointerCall(() =>
      this.platforms.call(this.platforms.records.createPointer, { pointer: request.pointer }, ctx),
    );
    return this.answerCreated(req, res, r.pointer!, r.replayed);
  }

  @FhirRoute({
    method: 'GET',
    path: 'DocumentReference/:id',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'read',
    scope: 'system/DocumentReference.r',
    patientData: true,
    subject: pointerSubject,
    summary: 'Read a pointer, current or superseded (a deleted one: 410)',
  })
  async read(@Req() req: Request, @Res() res: Response): Promise<DocumentReference> {
    const id = String(req.params['id']);
    const r = await this.pointerCall(
      () => this.platforms.call(this.platforms.records.getPointer, { id }, forwardContext(req)),
      id,
    );
    const d = pointerToFhir(r.pointer!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }

  @FhirRoute({
    method: 'GET',
    path: 'DocumentReference',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'search-type',
    scope: 'system/DocumentReference.s',
    patientData: true,
    subject: searchSubject,
    searchParams: [
      {
        name: 'subject',
        type: 'reference',
        modifiers: PATIENT_MODIFIERS,
        documentation: `The patient (one patient criterion is required): subject:identifier=${NHS_NUMBER_SYSTEM}|<NHS number> (as NRL), or Patient/<NHS number>`,
      },
      {
        name: 'patient',
        type: 'reference',
        modifiers: PATIENT_MODIFIERS,
        documentation: `The patient: Patient/<NHS number>, <NHS number> or patient:identifier=${NHS_NUMBER_SYSTEM}|<NHS number>`,
      },
      {
        name: 'patient.identifier',
        type: 'token',
        documentation: `The patient by identifier: ${NHS_NUMBER_SYSTEM}|<NHS number>`,
      },
      {
        name: 'type',
        type: 'token',
        or: true,
        documentation: `Record type(s), ${SNOMED_SYSTEM}|<code> or <code>, comma-separated = or: ${TYPE_CODES}`,
      },
    ],
    summary:
      "A patient's current pointers, newest first, optionally of some record types (a merged-away NHS number answers its survivor's)",
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const search = searchOf(req);
    const patients = new Set<string>();
    let named = 0;
    for (const name of PATIENT_CRITERIA) {
      for (const clause of search.all(name)) {
        named++;
        for (const v of clause.values) patients.add(patientOfParam(name, v, clause.modifier));
      }
    }
    if (named === 0)
      throw FhirError.of(
        400,
        'required',
        'search.patient',
        `a patient is required: subject:identifier=${NHS_NUMBER_SYSTEM}|<NHS number> (or patient, patient.identifier)`,
        'subject',
      );
    if (patients.size > 1) return this.noMatch(req, res);
    const nhsNumber = [...patients][0]!;
    const typeCodes = search.values('type').map((v) => {
      const bar = v.indexOf('|');
      if (bar >= 0 && v.slice(0, bar) !== SNOMED_SYSTEM)
        throw FhirError.of(
          400,
          'value',
          'search.type',
          `type=${clip(v)}: record types are ${SNOMED_SYSTEM} codes`,
          'type',
        );
      return bar >= 0 ? v.slice(bar + 1) : v;
    });
    const ctx = forwardContext(req);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        this.platforms.records.searchPointers,
        { nhsNumber, typeCodes, page },
        ctx,
        'DocumentReference',
        (f) => (f.startsWith('type_codes') ? 'type' : pointerFieldPath(f)),
      );
      return { resources: r.pointers.map(pointerToFhir), nextPageToken: r.page?.nextPageToken };
    });
  }

  @FhirRoute({
    method: 'DELETE',
    path: 'DocumentReference/:id',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'delete',
    scope: 'system/DocumentReference.d',
    patientData: true,
    subject: pointerSubject,
    summary: 'Retire one of the caller’s current pointers (custodian only; no longer found)',
  })
  async remove(@Req() req: Request, @Res() res: Response): Promise<DocumentReference> {
    const id = String(req.params['id']);
    const r = await this.pointerCall(
      () => this.platforms.call(this.platforms.records.deletePointer, { id }, forwardContext(req)),
      id,
    );
    const d = pointerToFhir(r.pointer!);
    AUDITED.set(req, { resourceId: id, nhsNumber: r.pointer!.nhsNumber });
    res.status(204).end();
    return d; // for the access audit (the answer itself has no body)
  }

  private answerCreated(
    req: Request,
    res: Response,
    pointer: Parameters<typeof pointerToFhir>[0],
    replayed: boolean,
  ): DocumentReference {
    const d = pointerToFhir(pointer);
    AUDITED.set(req, { resourceId: d.id!, nhsNumber: pointer.nhsNumber });
    return sendFhir(res, replayed ? 200 : 201, d, {
      ...versionHeaders(d),
      Location: `${this.base}/DocumentReference/${d.id!}/_history/${d.meta!.versionId!}`,
    });
  }

  /** A record-locator call: a deleted pointer is 410 Gone, other refusals as every platform's. */
  private async pointerCall<T>(call: () => Promise<T>, id?: string): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof PlatformCallError)) throw err;
      if (err.decoded.code === GrpcStatus.NOT_FOUND && err.decoded.reason === 'POINTER_DELETED')
        throw FhirError.of(
          410,
          'deleted',
          'platform.pointer-deleted',
          `DocumentReference/${id ?? ''} was deleted by its custodian`,
        );
      throw fhirErrorFromPlatform(err.decoded, 'DocumentReference', pointerFieldPath);
    }
  }
}
