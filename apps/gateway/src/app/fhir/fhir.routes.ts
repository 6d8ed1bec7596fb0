import type { ScopeRule } from '@trellis/auth';

import { AuditEventFhirController } from './audit-event.controller';
import { DocumentReferenceFhirController } from './document-reference.controller';
import { EverythingFhirController } from './everything.controller';
import { ExportFhirController } from './export/export.controller';
import {
  FHIR_FALLBACK_METHODS,
  FHIR_FALLBACK_PATH,
  FHIR_PREFIX,
  fhirRoutesOf,
  fhirScopeRules,
} from './fhir.registry';
import { PatientFhirController } from './patient.controller';
import { AppointmentFhirController } from './appointment.controller';
import { ReferralBinaryFhirController } from './referral-binary.controller';
import { ReferralOperationsFhirController } from './referral-operations.controller';
import { ReferralFhirController } from './referral.controller';
import { RegionalWaitingListsFhirController } from './regional-waiting-lists.controller';
import { ObservationFhirController } from './observation.controller';
import { ReportAcknowledgeFhirController } from './report-acknowledge.controller';
import { ReportFhirController } from './report.controller';
import { ReportSearchFhirController } from './report-search.controller';
import { ScheduleFhirController } from './schedule.controller';
import { ScorecardsFhirController } from '../scorecards/scorecards.fhir.controller';
import { CertificationFhirController } from '../certification/certification.fhir.controller';
import { SubscriptionsFhirController } from '../subscriptions/subscriptions.fhir.controller';

/**
 * The FHIR controllers whose routes need a platform; the metadata controller is added by the
 * module. Routes are declared once (FhirRoute) and feed the scope table, the CapabilityStatement,
 * the OperationDefinitions and the OpenAPI document.
 */
export const RESOURCE_CONTROLLERS = [
  PatientFhirController,
  EverythingFhirController,
  AppointmentFhirController,
  ScheduleFhirController,
  ReferralFhirController,
  ReferralOperationsFhirController,
  ReferralBinaryFhirController,
  ReportFhirController,
  ReportSearchFhirController,
  ObservationFhirController,
  ReportAcknowledgeFhirController,
  DocumentReferenceFhirController,
  AuditEventFhirController,
  ScorecardsFhirController,
  CertificationFhirController,
  RegionalWaitingListsFhirController,
  SubscriptionsFhirController,
  ExportFhirController,
];

const METADATA_ROUTES = [
  { method: 'GET', path: 'metadata' },
  { method: 'GET', path: 'OperationDefinition/:id' },
  { method: 'GET', path: 'openapi.json' },
] as const;

export const FHIR_ROUTES = fhirRoutesOf(RESOURCE_CONTROLLERS);

/** Scope rules of every FHIR route (merged into GATEWAY_SCOPES). */
export const FHIR_SCOPE_RULES = {
  ...fhirScopeRules(FHIR_ROUTES),
  ...fhirScopeRules(
    METADATA_ROUTES.map((r) => ({ ...r, interaction: 'capabilities' as const, summary: '' })),
  ),
  // Unserved paths answer a precise public 404/405 (they reveal no more than /metadata).
  ...Object.fromEntries(
    FHIR_FALLBACK_METHODS.map((m): [string, ScopeRule] => [
      `${m} /${FHIR_PREFIX}/${FHIR_FALLBACK_PATH}`,
      { public: true },
    ]),
  ),
};
