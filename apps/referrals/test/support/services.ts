import { IdentityPatientDirectory } from '@trellis/identity-client';
import { createOutbox } from '@trellis/events';

import { patientDirectoryErrors } from '../../src/app/domain/referrals.errors';
import { ReferralsRepository } from '../../src/app/referrals/referrals.repository';
import { ReferralsService, type SendInput } from '../../src/app/referrals/referrals.service';
import { OutboxReferralEventSink } from '../../src/events/outbox-referral-event-sink';
import type { TestClock, TestDatabase } from './harness';

export interface Services {
  referrals: ReferralsService;
  identity: IdentityPatientDirectory;
}

/** The real service wired as the app wires it: Prisma on the test schema, outbox, identity over gRPC. */
export function createServices(
  db: TestDatabase,
  clock: TestClock,
  identityAddress: string,
): Services {
  const identity = new IdentityPatientDirectory({
    address: identityAddress,
    deadlineMs: 2000,
    errors: patientDirectoryErrors,
  });
  const sink = new OutboxReferralEventSink(createOutbox({ source: '/trellis/referrals' }));
  return {
    referrals: new ReferralsService(new ReferralsRepository(db.prisma), identity, sink, clock),
    identity,
  };
}

let seq = 0;
/** A valid referral request (chest pain, cardiology at RTH) with overrides. */
export function referralInput(nhsNumber: string, overrides: Partial<SendInput> = {}): SendInput {
  seq += 1;
  return {
    idempotencyKey: `test-${Date.now()}-${seq}`,
    nhsNumber,
    practitionerId: 'G8123456',
    target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
    priority: 'routine',
    reason: { code: '29857009', display: 'Chest pain' },
    clinicalSummary: 'Exertional chest pain for 3 weeks; ECG normal.',
    attachments: [],
    ...overrides,
  };
}
