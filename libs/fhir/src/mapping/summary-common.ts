import { fromTimestamp } from '@trellis/contracts';

import { NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM } from '../systems';

/** Helpers every summary mapping shares (timestamps, patient and organisation references). */
type Ts = { seconds: number; nanos: number } | undefined;
export const iso = (t: Ts) => (t ? fromTimestamp(t).toISOString() : undefined);
export const patientRef = (nhs: string) => ({
  reference: `Patient/${nhs}`,
  identifier: { system: NHS_NUMBER_SYSTEM, value: nhs },
});
export const org = (ods: string) => ({
  type: 'Organization' as const,
  identifier: { system: ODS_ORGANISATION_SYSTEM, value: ods },
});
