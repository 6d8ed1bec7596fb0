import type { FhirSearchParam } from '../fhir.search';
import { EXPORT_TYPES } from './export.jobs';

export const NDJSON = 'application/fhir+ndjson';
/** Every $export route: kick-off, status, cancel and files. */
export const EXPORT_SCOPE = 'region/*/population.read';

/** The query a kick-off ($export, Group/:id/$export) is checked against. */
export const KICK_OFF_PARAMS: readonly FhirSearchParam[] = [
  {
    name: '_type',
    type: 'token',
    or: true,
    documentation: `Resource types to export, comma-separated (served: ${EXPORT_TYPES.join(', ')}, each needing system/<type>.r); default every served type the caller may read`,
  },
  {
    name: '_since',
    type: 'string',
    documentation: 'Only resources changed at or after this FHIR instant',
  },
  {
    name: '_outputFormat',
    type: 'string',
    documentation: `${NDJSON} (default), application/ndjson or ndjson`,
  },
];

/** The kick-off's parameters as its OperationDefinitions declare them. */
export const KICK_OFF_PARAMETERS = [
  { name: '_type', use: 'in', min: 0, max: '*', documentation: 'Types', type: 'string' },
  { name: '_since', use: 'in', min: 0, max: '1', documentation: 'Changed since', type: 'instant' },
  { name: '_outputFormat', use: 'in', min: 0, max: '1', documentation: NDJSON, type: 'string' },
] as const;
