import {
  enumCodes,
  fromOptionalTimestamp,
  results,
  type TimestampLike,
  toTimestamp,
} from '@trellis/contracts';

import { LOINC_SYSTEM, SNOMED_SYSTEM } from '../domain/codes';
import type {
  CodingInput,
  Observation,
  ObservationInput,
  ReportSubmission,
} from '../domain/report-content';
import type { Acknowledgement, ReportView } from '../reports/report-types';
import type { AmendStatus } from '../reports/reports.service';

const pb = results.v1;

/** Enums may arrive as numbers or names depending on the loader. */
function enumNumber(e: object, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return (e as Record<string, number>)[v] ?? -1;
  return 0;
}

// category, status and interpretation codes are the enums' value names (REPORT_STATUS_FINAL: final)
const CATEGORY: Record<number, string> = enumCodes(pb.ReportCategory, 'REPORT_CATEGORY_');
const STATUS: Record<number, string> = enumCodes(pb.ReportStatus, 'REPORT_STATUS_');
const INTERPRETATION: Record<number, string> = enumCodes(pb.Interpretation, 'INTERPRETATION_');
const SYSTEM: Record<number, string> = {
  [pb.CodeSystem.CODE_SYSTEM_LOINC]: LOINC_SYSTEM,
  [pb.CodeSystem.CODE_SYSTEM_SNOMED_CT]: SNOMED_SYSTEM,
};

function invert(m: Record<number, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [v, Number(k)]));
}
const CATEGORY_OUT = invert(CATEGORY);
const STATUS_OUT = invert(STATUS);
const INTERPRETATION_OUT = invert(INTERPRETATION);
const SYSTEM_OUT = invert(SYSTEM);

/** '' for unset, '?' for a number the contract does not define (refused by validation). */
function name(m: Record<number, string>, e: object, v: unknown): string {
  const n = enumNumber(e, v);
  return n === 0 ? '' : (m[n] ?? `unknown(${String(v)})`);
}

export const categoryFromProto = (v: unknown) => name(CATEGORY, pb.ReportCategory, v);
export const statusFromProto = (v: unknown) => name(STATUS, pb.ReportStatus, v);

/**
 * AmendReportRequest.status (+ the older `correction` flag) → what amend() takes: the status name
 * when set (validated there), else the flag.
 */
export function amendStatusFromProto(v: unknown, correction: boolean): AmendStatus | boolean {
  const s = statusFromProto(v);
  return s === '' ? correction : (s as AmendStatus);
}

function codingFromProto(c: results.v1.Coding | undefined): CodingInput | undefined {
  if (!c) return undefined;
  return {
    system: name(SYSTEM, pb.CodeSystem, c.system),
    code: c.code ?? '',
    display: c.display ?? '',
  };
}

function observationFromProto(o: results.v1.Observation): ObservationInput {
  const rr = o.referenceRange;
  return {
    code: codingFromProto(o.code),
    ...(o.valueQuantity
      ? { quantity: { value: o.valueQuantity.value, unit: o.valueQuantity.unit ?? '' } }
      : {}),
    ...(o.valueCoded ? { coded: codingFromProto(o.valueCoded) } : {}),
    ...(o.valueText ? { text: o.valueText } : {}),
    ...(rr
      ? {
          referenceRange: {
            ...(rr.low ? { low: { value: rr.low.value, unit: rr.low.unit ?? '' } } : {}),
            ...(rr.high ? { high: { value: rr.high.value, unit: rr.high.unit ?? '' } } : {}),
            text: rr.text ?? '',
          },
        }
      : {}),
    interpretation: name(INTERPRETATION, pb.Interpretation, o.interpretation),
    note: o.note ?? '',
  };
}

export function submissionFromProto(r: results.v1.ReportInput | undefined): ReportSubmission {
  if (!r) return {};
  return {
    labReportId: r.labReportId,
    nhsNumber: r.nhsNumber,
    category: categoryFromProto(r.category),
    code: codingFromProto(r.code),
    status: statusFromProto(r.status),
    performingLabOdsCode: r.performingLabOdsCode,
    requester: {
      odsCode: r.requester?.organisation?.odsCode ?? '',
      region: r.requester?.organisation?.region ?? '',
      practitionerId: r.requester?.practitionerId ?? '',
      practitionerSystem: r.requester?.practitionerSystem ?? '',
    },
    referralId: r.referralId,
    issued: fromOptionalTimestamp(r.issued as TimestampLike | undefined),
    conclusion: r.conclusion,
    observations: (r.observations ?? []).map(observationFromProto),
    versionReason: r.versionReason,
  };
}

function observationToProto(o: Observation): results.v1.Observation {
  const v = o.value;
  return {
    code: { system: SYSTEM_OUT[o.code.system] ?? 0, code: o.code.code, display: o.code.display },
    ...(v.kind === 'quantity' ? { valueQuantity: { value: v.value, unit: v.unit } } : {}),
    ...(v.kind === 'coded'
      ? { valueCoded: { system: SYSTEM_OUT[v.system] ?? 0, code: v.code, display: v.display } }
      : {}),
    ...(v.kind === 'text' ? { valueText: v.text } : {}),
    referenceRange: o.referenceRange
      ? {
          ...(o.referenceRange.low ? { low: o.referenceRange.low } : {}),
          ...(o.referenceRange.high ? { high: o.referenceRange.high } : {}),
          text: o.referenceRange.text,
        }
      : undefined,
    interpretation: o.interpretation ? (INTERPRETATION_OUT[o.interpretation] ?? 0) : 0,
    note: o.note,
  };
}

function ackToProto(a: Acknowledgement): results.v1.Acknowledgement {
  return {
    version: a.version,
    odsCode: a.odsCode,
    systemId: a.systemId,
    userId: a.userId ?? '',
    acknowledgedAt: toTimestamp(a.acknowledgedAt),
    note: a.note,
  };
}

const SEVERITY = [
  pb.Severity.SEVERITY_NORMAL,
  pb.Severity.SEVERITY_ABNORMAL,
  pb.Severity.SEVERITY_CRITICAL,
];

export function reportToProto(r: ReportView): results.v1.Report {
  const c = r.content;
  return {
    id: r.id,
    labReportId: c.labReportId,
    nhsNumber: c.nhsNumber,
    category: CATEGORY_OUT[c.category] ?? 0,
    code: { system: SYSTEM_OUT[c.code.system] ?? 0, code: c.code.code, display: c.code.display },
    status: STATUS_OUT[c.status] ?? 0,
    performingLab: { odsCode: c.labOdsCode, region: r.labRegion },
    requester: {
      organisation: { odsCode: c.requester.odsCode, region: c.requester.region },
      practitionerId: c.requester.practitionerId,
      practitionerSystem: c.requester.practitionerSystem ?? '',
    },
    referralId: c.referralId ?? '',
    issued: toTimestamp(new Date(c.issued)),
    conclusion: c.conclusion,
    observations: c.observations.map(observationToProto),
    version: r.version,
    latestVersion: r.latestVersion,
    versionReason: r.versionReason,
    mostSevereInterpretation: r.mostSevere ? (INTERPRETATION_OUT[r.mostSevere] ?? 0) : 0,
    severity: r.mostSevere ? (SEVERITY[r.severityRank] ?? 0) : 0,
    contentHash: r.contentHash,
    receivedAt: toTimestamp(r.receivedAt),
    ...(r.acknowledgement ? { acknowledgement: ackToProto(r.acknowledgement) } : {}),
  };
}

export function severityFromProto(v: unknown): 'abnormal' | 'critical' {
  return enumNumber(pb.Severity, v) === pb.Severity.SEVERITY_CRITICAL ? 'critical' : 'abnormal';
}

export function dateFromProto(t: unknown): Date | undefined {
  return fromOptionalTimestamp(t as TimestampLike | undefined);
}
