import { Controller, Req, Res, UseFilters } from '@nestjs/common';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { requireCaller, type AuditSubject, type AuditSubjectExtractor } from '@trellis/auth';
import { fromTimestamp, RECORDS_ERRORS, type records } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { pointerFieldPath, pointerRequestFromFhir, pointerToFhir } from './document-reference.fhir';
import {
  PATIENT_CRITERIA,
  patientOfParam,
  POINTER_SEARCH_PARAMS,
  pointerSearchField,
  pointerSearchFromFhir,
} from './document-reference.search';
import { FhirExceptionFilter, forwardContext, sendFhir } from './fhir.http';
import { FHIR_PREFIX, FhirRoute } from './fhir.registry';
import { rawQuery, searchOf } from './fhir.search';
import { headerValue, parseIfMatch, versionHeaders } from './fhir.support';
import { PlatformFhirController, type HistoryVersion } from './platform-fhir.controller';
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

/** A pointer's history: its id, and the patient of the versions answered. */
const historySubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const first = (res as Bundle | undefined)?.entry?.[0]?.resource as DocumentReference | undefined;
  const nhs = first?.subject?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(nhs ? { nhsNumber: nhs } : {}) };
};

/** One recorded version → the DocumentReference as it was (versionId, lastUpdated of it). */
function versionToFhir(v: records.v1.PointerVersion): DocumentReference {
  const d = pointerToFhir(v.pointer!);
  if (v.recordedAt) d.meta = { ...d.meta, lastUpdated: fromTimestamp(v.recordedAt).toISOString() };
  return d;
}

/** The If-Match of a change as the platform's expected version (0 = not checked). */
const expectedVersion = (req: Request) => parseIfMatch(headerValue(req.headers['if-match'])) ?? 0;

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

/**
 * DocumentReference: the record locator (England's NRL model), served by identity's
 * RecordLocatorService. Custodians register pointers to documents they hold (POST), replace them
 * by a new version (POST with relatesTo.code = replaces, as NRL does; PUT is not served) and
 * retire them (DELETE), If-Match guarding both; anyone with the read scopes finds a patient's
 * pointers by type, custodian, date and status. Every version is kept (vread, _history).
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
    const expected = expectedVersion(req);
    if (request.replacesId !== undefined) {
      const r = await this.pointerCall(
        () =>
          this.platforms.call(
            this.platforms.records.supersedePointer,
            {
              replacesId: request.replacesId!,
              pointer: request.pointer,
              clientKey: '',
              expectedVersion: expected,
            },
            ctx,
          ),
        request.replacesId,
      );
      return this.answerCreated(req, res, r.pointer!, r.replayed);
    }
    if (expected !== 0)
      throw FhirError.of(
        400,
        'invalid',
        'http.if-match',
        'If-Match names the version of the pointer a new version replaces: it applies only with relatesTo replaces',
      );
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
    path: 'DocumentReference/:id/_history/:vid',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'vread',
    scope: 'system/DocumentReference.r',
    patientData: true,
    subject: pointerSubject,
    summary:
      'Read one version of a pointer as it was (a retired pointer’s too: its last version is entered-in-error)',
  })
  async vread(@Req() req: Request, @Res() res: Response): Promise<DocumentReference> {
    const id = String(req.params['id']);
    const version = this.versionParam(req, 'DocumentReference');
    const r = await this.pointerCall(
      () =>
        this.platforms.call(
          this.platforms.records.getPointerVersion,
          { id, version },
          forwardContext(req),
        ),
      id,
    );
    const d = versionToFhir(r.version!);
    return sendFhir(res, 200, d, versionHeaders(d));
  }

  @FhirRoute({
    method: 'GET',
    path: 'DocumentReference/:id/_history',
    resource: 'DocumentReference',
    platform: 'identity',
    interaction: 'history-instance',
    scope: 'system/DocumentReference.r',
    patientData: true,
    subject: historySubject,
    summary: 'Versions of a pointer, newest first (paged): registered, superseded, retired',
  })
  async history(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const id = String(req.params['id']);
    const count = searchOf(req).count;
    const r = await this.pointerCall(
      () =>
        this.platforms.call(
          this.platforms.records.listPointerVersions,
          { id, page: { pageSize: Math.max(count, 1), pageToken: this.pageToken(req) } },
          forwardContext(req),
        ),
      id,
      pointerSearchField,
    );
    const versions = r.versions.map((v): HistoryVersion => {
      const created = v.change === 'created';
      const d = versionToFhir(v);
      return {
        resource: d,
        version: v.pointer!.version,
        created,
        // a new version is registered by POST (relatesTo replaces), a retirement by DELETE
        request:
          v.change === 'deleted'
            ? { method: 'DELETE', url: `DocumentReference/${id}` }
            : { method: 'POST', url: 'DocumentReference' },
      };
    });
    return this.historyBundle(req, res, 'DocumentReference', versions, {
      count,
      nextPageToken: r.page?.nextPageToken,
    });
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
    searchParams: POINTER_SEARCH_PARAMS,
    summary:
      "A patient's pointers, newest first, narrowed by record type, custodian, date and status (current unless asked); a merged-away NHS number answers its survivor's",
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<Bundle> {
    const query = pointerSearchFromFhir(searchOf(req));
    if (query === null) return this.noMatch(req, res);
    const ctx = forwardContext(req);
    return this.pagedSearch(req, res, async (page) => {
      const r = await this.call(
        this.platforms.records.searchPointers,
        { ...query, page },
        ctx,
        'DocumentReference',
        pointerSearchField,
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
    summary:
      'Retire one of the caller’s current pointers (custodian only; If-Match W/"<version>" honoured, 412 when stale): status entered-in-error, found only by status=entered-in-error, read answers 410',
  })
  async remove(@Req() req: Request, @Res() res: Response): Promise<DocumentReference> {
    const id = String(req.params['id']);
    const expected = expectedVersion(req);
    const r = await this.pointerCall(
      () =>
        this.platforms.call(
          this.platforms.records.deletePointer,
          { id, expectedVersion: expected },
          forwardContext(req),
        ),
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

  /**
   * A record-locator call: a deleted pointer is 410 Gone; other refusals as every platform's
   * (a stale If-Match version is 412 in libs/fhir's mapping).
   */
  private async pointerCall<T>(
    call: () => Promise<T>,
    id?: string,
    fieldPath: (field: string) => string | undefined = pointerFieldPath,
  ): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof PlatformCallError)) throw err;
      if (
        err.decoded.code === GrpcStatus.NOT_FOUND &&
        err.decoded.reason === RECORDS_ERRORS.codes.PointerDeleted[0]
      )
        throw FhirError.of(
          410,
          'deleted',
          'platform.pointer-deleted',
          `DocumentReference/${id ?? ''} was deleted by its custodian`,
        );
      throw fhirErrorFromPlatform(err.decoded, 'DocumentReference', fieldPath);
    }
  }
}
