import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { fromTimestamp, identity, toTimestamp } from '@trellis/contracts';
import { currentCorrelationId } from '@trellis/platform';
import type { Actor, PatientVersionEntry, PatientView } from './patient.model';
import {
  addressesFromPb,
  changesFromPb,
  confidentialityFromPb,
  genderFromPb,
  MappingProblems,
  namesFromPb,
  patientToPb,
  telecomFromPb,
  traceModeFromPb,
} from './patients.mapping';
import { Hit, PatientsService } from './patients.service';

const { PatientServiceControllerMethods } = identity.v1;

function actorOf(metadata: Metadata | undefined): Actor {
  const c = requireCaller(metadata);
  return {
    systemId: c.systemId,
    odsCode: c.odsCode,
    region: c.region,
    scopes: c.scopes,
    ...(c.userId ? { userId: c.userId } : {}),
    ...(c.patient ? { patient: c.patient } : {}),
  };
}

const hitToPb = (h: Hit): identity.v1.TraceHit => ({
  patient: patientToPb(h.patient),
  score: h.score,
  matchedOn: h.matchedOn,
});

function versionToPb(v: PatientVersionEntry & { view: PatientView }): identity.v1.PatientVersion {
  return {
    version: v.version,
    recordedAt: toTimestamp(v.recordedAt),
    change: v.change,
    changedFields: v.changedFields,
    changedBy: v.changedBy,
    patient: patientToPb(v.view),
    nhsNumber: v.nhsNumber,
  };
}

/** PatientService over gRPC: maps proto ⇄ domain and delegates; no rules here. */
@Controller()
@PatientServiceControllerMethods()
export class PatientsGrpcController implements identity.v1.PatientServiceController {
  constructor(private readonly service: PatientsService) {}

  async registerPatient(
    req: identity.v1.RegisterPatientRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.RegisterPatientResponse> {
    const actor = actorOf(metadata);
    const m = new MappingProblems();
    const p = req.patient;
    const input = {
      names: namesFromPb(p?.names ?? [], 'patient.names', m),
      gender: genderFromPb(p?.gender, 'patient.gender', m),
      birthDate: (p?.birthDate ?? '').trim(),
      addresses: addressesFromPb(p?.addresses ?? [], 'patient.addresses', m),
      telecom: telecomFromPb(p?.telecom ?? [], 'patient.telecom', m),
      ...(p?.gpOdsCode?.trim() ? { gpOdsCode: p.gpOdsCode.trim().toUpperCase() } : {}),
      ...(p?.gpStart?.trim() ? { gpStart: p.gpStart.trim() } : {}),
      confidentiality: confidentialityFromPb(p?.confidentiality, 'patient.confidentiality', m),
    };
    m.throwIfAny();
    const result = await this.service.register(
      actor,
      input,
      { flag: !!req.overrideDuplicates, reason: (req.overrideReason ?? '').trim() },
      currentCorrelationId(),
    );
    return {
      patient: patientToPb(result.patient),
      overriddenCandidates: result.overridden.map(hitToPb),
    };
  }

  async getPatient(
    req: identity.v1.GetPatientRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.GetPatientResponse> {
    const r = await this.service.get(actorOf(metadata), req.nhsNumber ?? '');
    return {
      patient: patientToPb(r.patient),
      superseded: r.superseded,
      requestedNhsNumber: r.requested,
    };
  }

  async tracePatients(
    req: identity.v1.TracePatientsRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.TracePatientsResponse> {
    const m = new MappingProblems();
    const gender = genderFromPb(req.gender, 'gender', m);
    m.throwIfAny();
    const r = await this.service.trace(
      actorOf(metadata),
      {
        ...(req.family?.trim() ? { family: req.family.trim() } : {}),
        ...(req.given?.trim() ? { given: req.given.trim() } : {}),
        ...(gender ? { gender } : {}),
        ...(req.birthDate?.trim() ? { birthDate: req.birthDate.trim() } : {}),
        ...(req.birthDateFrom?.trim() ? { birthDateFrom: req.birthDateFrom.trim() } : {}),
        ...(req.birthDateTo?.trim() ? { birthDateTo: req.birthDateTo.trim() } : {}),
        ...(req.postcode?.trim() ? { postcode: req.postcode.trim() } : {}),
        ...(req.gpOdsCode?.trim() ? { gpOdsCode: req.gpOdsCode.trim().toUpperCase() } : {}),
        mode: traceModeFromPb(req.mode),
        ...(req.maxResults ? { maxResults: req.maxResults } : {}),
        ...(req.minScore ? { minScore: req.minScore } : {}),
      },
      !!req.singleMatch,
    );
    return {
      hits: r.hits.map(hitToPb),
      singleMatch: r.singleMatch,
      totalAboveThreshold: r.totalAboveThreshold,
    };
  }

  async updatePatient(
    req: identity.v1.UpdatePatientRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.UpdatePatientResponse> {
    const actor = actorOf(metadata);
    const m = new MappingProblems();
    const changes = changesFromPb(req.changes, m);
    m.throwIfAny();
    const r = await this.service.update(
      actor,
      req.nhsNumber ?? '',
      req.expectedVersion ?? 0,
      changes,
      currentCorrelationId(),
    );
    return { patient: patientToPb(r.patient), changedFields: r.changedFields };
  }

  async getPatientHistory(
    req: identity.v1.GetPatientHistoryRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.GetPatientHistoryResponse> {
    const r = await this.service.history(
      actorOf(metadata),
      req.nhsNumber ?? '',
      req.page?.pageSize ?? 0,
      req.page?.pageToken ?? '',
    );
    return { versions: r.versions.map(versionToPb), page: { nextPageToken: r.nextPageToken } };
  }

  async getPatientVersion(
    req: identity.v1.GetPatientVersionRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.GetPatientVersionResponse> {
    const v = await this.service.version(actorOf(metadata), req.nhsNumber ?? '', req.version ?? 0);
    return { version: versionToPb(v) };
  }

  async markDeceased(
    req: identity.v1.MarkDeceasedRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.MarkDeceasedResponse> {
    const patient = await this.service.markDeceased(
      actorOf(metadata),
      req.nhsNumber ?? '',
      req.expectedVersion ?? 0,
      req.deceasedAt ? fromTimestamp(req.deceasedAt) : undefined,
      currentCorrelationId(),
    );
    return { patient: patientToPb(patient) };
  }

  async mergePatients(
    req: identity.v1.MergePatientsRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.MergePatientsResponse> {
    const survivor = await this.service.merge(
      actorOf(metadata),
      {
        superseded: req.supersededNhsNumber ?? '',
        survivor: req.survivorNhsNumber ?? '',
        expectedSupersededVersion: req.expectedSupersededVersion ?? 0,
        expectedSurvivorVersion: req.expectedSurvivorVersion ?? 0,
        reason: (req.reason ?? '').trim(),
      },
      currentCorrelationId(),
    );
    return { survivor: patientToPb(survivor) };
  }

  async listPatients(
    req: identity.v1.ListPatientsRequest,
    metadata?: Metadata,
  ): Promise<identity.v1.ListPatientsResponse> {
    const r = await this.service.list(actorOf(metadata), {
      region: req.region ?? '',
      ...(req.updatedSince ? { updatedSince: fromTimestamp(req.updatedSince) } : {}),
      pageSize: req.page?.pageSize ?? 0,
      pageToken: req.page?.pageToken ?? '',
    });
    return { patients: r.patients.map(patientToPb), page: { nextPageToken: r.nextPageToken } };
  }
}
