import type { Caller } from '@trellis/auth';
import { TOPIC_BASE } from '@trellis/fhir';

import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { SubscriptionInput } from './subscription-rules';
import type {
  NewSubscription,
  SubscriptionRow,
  SubscriptionsRepository,
} from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

const caller = (systemId: string): Caller =>
  ({
    systemId,
    odsCode: 'A81001',
    region: 'north-east',
    scopes: ['system/DiagnosticReport.rs', 'system/Subscription.cruds'],
  }) as unknown as Caller;

const INPUT: SubscriptionInput = {
  topic: `${TOPIC_BASE}/result-available`,
  endpoint: 'https://gp.example.nhs.uk/hooks/trellis',
  payloadContent: 'id-only',
  headers: [],
  heartbeatPeriodSeconds: 60,
  timeoutSeconds: 0,
  patientNhsNumber: '',
  reason: 'results for our patients',
};

/** The service over subscriptions held in memory (no database, no Prisma). */
function createTestService(maxPerSystem: number) {
  const rows: SubscriptionRow[] = [];
  const units: string[] = [];
  const repo = {
    inTransaction: <R>(work: (r: SubscriptionsRepository) => Promise<R>) => {
      units.push('unit');
      return work(repo);
    },
    lockOwner: (systemId: string) => {
      units.push(`lock ${systemId}`);
      return Promise.resolve();
    },
    countHeld: (systemId: string) =>
      Promise.resolve(rows.filter((r) => r.ownerSystemId === systemId && !r.deletedAt).length),
    insert: (data: NewSubscription) => {
      const row = { ...data, deletedAt: null } as unknown as SubscriptionRow;
      rows.push(row);
      return Promise.resolve(row);
    },
    findOwned: (systemId: string, id: string) =>
      Promise.resolve(
        rows.find((r) => r.id === id && r.ownerSystemId === systemId && !r.deletedAt) ?? null,
      ),
    softDelete: (id: string, at: Date) => {
      const row = rows.find((r) => r.id === id)!;
      Object.assign(row, { deletedAt: at, status: 'off' });
      return Promise.resolve();
    },
  } as unknown as SubscriptionsRepository;
  const service = new SubscriptionsService(repo, { allowHttpEndpoints: false, maxPerSystem });
  return { service, units };
}

describe('SubscriptionsService.create (no database)', () => {
  it('holds each system to its cap, counted under the owner lock in one unit of work', async () => {
    const { service, units } = createTestService(2);
    await service.create(caller('gp-1'), INPUT);
    const second = await service.create(caller('gp-1'), INPUT);
    const refused = await service.create(caller('gp-1'), INPUT).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotificationsError);
    expect((refused as NotificationsError).code).toBe(NotificationsErrorCode.TooManySubscriptions);
    expect(units).toEqual(['unit', 'lock gp-1', 'unit', 'lock gp-1', 'unit', 'lock gp-1']);
    // another system has its own allowance; a deletion frees one
    await expect(service.create(caller('gp-2'), INPUT)).resolves.toMatchObject({
      ownerSystemId: 'gp-2',
      status: 'active',
    });
    await service.delete(caller('gp-1'), second.id);
    await expect(service.create(caller('gp-1'), INPUT)).resolves.toMatchObject({
      ownerSystemId: 'gp-1',
    });
  });
});
