import { results } from '@trellis/contracts';

import { ts } from './grpc-client';

const pb = results.v1;
export const LOINC = pb.CodeSystem.CODE_SYSTEM_LOINC;
export const SNOMED = pb.CodeSystem.CODE_SYSTEM_SNOMED_CT;
export const I = pb.Interpretation;
export const S = pb.ReportStatus;

/** A report as a test submits it (what the generated ReportInput.fromPartial takes). */
export type ReportInputLike = Parameters<typeof results.v1.ReportInput.fromPartial>[0];
/** An observation as a test submits it. */
export type ObservationLike = Parameters<typeof results.v1.Observation.fromPartial>[0];

export interface ObsSpec {
  code: string;
  value: number;
  unit: string;
  low?: number;
  high?: number;
  interpretation?: results.v1.Interpretation;
}

export function obs(o: ObsSpec): ObservationLike {
  return {
    code: { system: LOINC, code: o.code, display: '' },
    valueQuantity: { value: o.value, unit: o.unit },
    referenceRange:
      o.low !== undefined || o.high !== undefined
        ? {
            ...(o.low !== undefined ? { low: { value: o.low, unit: o.unit } } : {}),
            ...(o.high !== undefined ? { high: { value: o.high, unit: o.unit } } : {}),
          }
        : undefined,
    interpretation: o.interpretation ?? I.INTERPRETATION_NORMAL,
  };
}

/** A full blood count as a lab would send it (proto-shaped, enums as numbers). */
export function fbc(
  labReportId: string,
  nhsNumber: string,
  opts: {
    requester?: string;
    region?: string;
    issued?: Date;
    status?: results.v1.ReportStatus;
    haemoglobin?: number;
    interpretation?: results.v1.Interpretation;
    reason?: string;
    conclusion?: string;
  } = {},
): ReportInputLike {
  return {
    labReportId,
    nhsNumber,
    category: pb.ReportCategory.REPORT_CATEGORY_PATHOLOGY,
    code: { system: LOINC, code: '58410-2', display: 'CBC panel - Blood by Automated count' },
    status: opts.status ?? S.REPORT_STATUS_FINAL,
    requester: {
      organisation: { odsCode: opts.requester ?? 'A81001', region: opts.region ?? 'north-east' },
      practitionerId: 'G8123456',
    },
    issued: ts(opts.issued ?? new Date('2026-01-05T09:30:00Z')),
    conclusion: opts.conclusion ?? '',
    versionReason: opts.reason ?? '',
    observations: [
      obs({
        code: '718-7',
        value: opts.haemoglobin ?? 135,
        unit: 'g/L',
        low: 130,
        high: 170,
        interpretation: opts.interpretation ?? I.INTERPRETATION_NORMAL,
      }),
      obs({ code: '6690-2', value: 6.1, unit: '10*9/L', low: 4, high: 11 }),
      obs({ code: '777-3', value: 250, unit: '10*9/L', low: 150, high: 400 }),
      obs({ code: '789-8', value: 4.8, unit: '10*12/L', low: 4.5, high: 5.9 }),
      obs({ code: '787-2', value: 90, unit: 'fL', low: 80, high: 100 }),
    ],
  };
}

export interface ReportMsg {
  id: string;
  labReportId: string;
  nhsNumber: string;
  status: number;
  version: number;
  latestVersion: number;
  versionReason: string;
  severity: number;
  mostSevereInterpretation: number;
  observations: { code: { code: string }; valueQuantity?: { value: number; unit: string } }[];
  acknowledgement?: { version: number; odsCode: string; systemId: string; note: string } | null;
  issued: { seconds: number };
  requester?: { practitionerId: string; practitionerSystem: string };
}
