import { fromTimestamp, identity, pageArgs, toTimestamp } from '@trellis/contracts';
import { currentCorrelationId, grpcController, type GrpcHandlers } from '@trellis/service-kit';

import { actorOf } from '../access/actor';
import type { PatientVersionEntry, PatientView } from './patient.model';
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
export const PatientsGrpcController = grpcController(
  identity.v1.PatientServiceDefinition,
  [PatientsService],
  (service: PatientsService): GrpcHandlers<identity.v1.PatientServiceController> => ({
    registerPatient: async (req, metadata) => {
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
      const result = await service.register(
        actor,
        input,
        { flag: !!req.overrideDuplicates, reason: (req.overrideReason ?? '').trim() },
        currentCorrelationId(),
      );
      return {
        patient: patientToPb(result.patient),
        overriddenCandidates: result.overridden.map(hitToPb),
      };
    },
    getPatient: async (req, metadata) => {
      const r = await service.get(actorOf(metadata), req.nhsNumber ?? '');
      return {
        patient: patientToPb(r.patient),
        superseded: r.superseded,
        requestedNhsNumber: r.requested,
      };
    },
    tracePatients: async (req, metadata) => {
      const m = new MappingProblems();
      const gender = genderFromPb(req.gender, 'gender', m);
      m.throwIfAny();
      const r = await service.trace(
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
    },
    updatePatient: async (req, metadata) => {
      const actor = actorOf(metadata);
      const m = new MappingProblems();
      const changes = changesFromPb(req.changes, m);
      m.throwIfAny();
      const r = await service.update(
        actor,
        req.nhsNumber ?? '',
        req.expectedVersion ?? 0,
        changes,
        currentCorrelationId(),
      );
      return { patient: patientToPb(r.patient), changedFields: r.changedFields };
    },
    getPatientHistory: async (req, metadata) => {
      const r = await service.history(
        actorOf(metadata),
        req.nhsNumber ?? '',
        ...pageArgs(req.page),
      );
      return { versions: r.versions.map(versionToPb), page: { nextPageToken: r.nextPageToken } };
    },
    getPatientVersion: async (req, metadata) => {
      const v = await service.version(actorOf(metadata), req.nhsNumber ?? '', req.version ?? 0);
      return { version: versionToPb(v) };
    },
    markDeceased: async (req, metadata) => {
      const patient = await service.markDeceased(
        actorOf(metadata),
        req.nhsNumber ?? '',
        req.expectedVersion ?? 0,
        req.deceasedAt ? fromTimestamp(req.deceasedAt) : undefined,
        currentCorrelationId(),
      );
      return { patient: patientToPb(patient) };
    },
    mergePatients: async (req, metadata) => {
      const survivor = await service.merge(
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
    },
    listPatients: async (req, metadata) => {
      const r = await service.list(actorOf(metadata), {
        region: req.region ?? '',
        ...(req.updatedSince ? { updatedSince: fromTimestamp(req.updatedSince) } : {}),
        pageSize: req.page?.pageSize ?? 0,
        pageToken: req.page?.pageToken ?? '',
      });
      return { patients: r.patients.map(patientToPb), page: { nextPageToken: r.nextPageToken } };
    },
  }),
);
