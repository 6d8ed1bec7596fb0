// What every step of the journey shares: configuration, output, the gRPC clients, who takes part.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { SystemKey } from '../system-token';
import type { JourneyConfig } from './config';
import type { JourneyGrpc } from './grpc';
import type { JourneyLog } from './log';

export const GP_ODS = 'A81001'; // Tees Valley Medical Centre, north-east (identity's practice table)
export const HOSPITAL_SPECIALTY = 'cardiology';
export const HOSPITAL_SERVICE = 'cardiology-opd';

export const HOSPITAL_SCOPES =
  'system/Patient.rs system/Schedule.cruds system/Slot.cruds system/Appointment.cruds system/ServiceRequest.rus system/DiagnosticReport.rs system/Observation.rs';
export const LAB_SCOPES =
  'system/Patient.rs system/DiagnosticReport.cruds system/Observation.cruds';
export const GP_SCOPES = [
  'system/Patient.cruds',
  'system/ServiceRequest.cruds',
  'system/DiagnosticReport.rus',
  'system/Observation.rs',
  'system/Appointment.rs',
  'system/Slot.rs',
  'system/Schedule.rs',
];

/** A system the gateway seed registered (.trellis/demo/systems.json) with its private key. */
export type DemoSystem = SystemKey & { odsCode: string; region: string };

interface DemoIndex {
  tokenUrl: string;
  systems: Array<{ alias: string; clientId: string; odsCode: string; region: string }>;
}

export interface JourneyContext {
  cfg: JourneyConfig;
  log: JourneyLog;
  rpc: JourneyGrpc;
  startedAtMs: number;
  tokenUrl: string;
  demoKey(alias: string): DemoSystem;
}

/** The systems taking part and their tokens (step 1). */
export interface Parties {
  gpClientId: string;
  gpToken: string;
  hospitalSys: DemoSystem;
  hospitalToken: string;
  labSys: DemoSystem;
  labToken: string;
}

/** The demo systems' keys, as the gateway seed wrote them. */
export function demoSystems(cfg: JourneyConfig): (alias: string) => DemoSystem {
  const index = JSON.parse(readFileSync(join(cfg.demoDir, 'systems.json'), 'utf8')) as DemoIndex;
  return (alias) => {
    const s = index.systems.find((x) => x.alias === alias);
    if (!s) throw new Error(`demo system ${alias} missing from ${cfg.demoDir}/systems.json`);
    const jwk = JSON.parse(
      readFileSync(join(cfg.demoDir, `${s.clientId}.private.jwk.json`), 'utf8'),
    ) as SystemKey['jwk'];
    return { clientId: s.clientId, jwk, odsCode: s.odsCode, region: s.region };
  };
}
