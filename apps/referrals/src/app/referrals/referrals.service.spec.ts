import { rejectionOf } from '@trellis/testing';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import type { Actor } from '../domain/ports';
import type { PatientDirectory, PatientStanding } from '@trellis/identity-client';
import type { PrismaClient } from '../prisma';
import { ReferralsRepository } from './referrals.repository';
import { ReferralsService, sha256Hex, type SendInput } from './referrals.service';

const gp: Actor = { systemId: 'gp', odsCode: 'A81001', region: 'north-east' };

/** The service with no database behind it: any query fails the test. */
function createTestService(standing: PatientStanding['kind'] = 'active') {
  const prisma = new Proxy(
    {},
    {
      get: () => {
        throw new Error('unexpected database access');
      },
    },
  ) as PrismaClient;
  const repo = new ReferralsRepository(prisma);
  repo.findByIdempotencyKey = () => Promise.resolve(null);
  const lookups: string[] = [];
  const patients: PatientDirectory = {
    standing: (nhsNumber) => {
      lookups.push(nhsNumber);
      if (standing === 'deceased')
        return Promise.resolve({
          kind: 'deceased',
          nhsNumber,
          deceasedAt: new Date('2027-01-02T00:00:00Z'),
        });
      if (standing === 'merged')
        return Promise.resolve({ kind: 'merged', nhsNumber, survivorNhsNumber: '9000000009' });
      return Promise.resolve({ kind: standing, nhsNumber } as PatientStanding);
    },
  };
  const service = new ReferralsService(
    repo,
    patients,
    { append: () => Promise.resolve() },
    { now: () => new Date('2028-02-29T12:00:00Z') },
  );
  return { service, lookups };
}

function input(overrides: Partial<SendInput> = {}): SendInput {
  return {
    idempotencyKey: 'key-12345678',
    nhsNumber: '9434765919',
    practitionerId: 'G8123456',
    target: { odsCode: 'RTH', region: 'south-east', specialtyCode: 'cardiology' },
    priority: 'urgent',
    reason: { code: '29857009', display: 'Chest pain' },
    clinicalSummary: 'summary',
    attachments: [],
    ...overrides,
  };
}

const refusal = (p: Promise<unknown>): Promise<ReferralsError> => rejectionOf(p, ReferralsError);

describe('ReferralsService.send (no database)', () => {
  it('refuses a self-referral, a bad region and too many attachments in one answer, before asking identity', async () => {
    const { service, lookups } = createTestService();
    const e = await refusal(
      service.send(
        gp,
        input({
          target: { odsCode: 'A81001', region: 'North East', specialtyCode: 'cardiology' },
          attachments: Array.from({ length: 11 }, () => ({
            contentType: 'text/plain',
            title: 't',
            data: new Uint8Array([1]),
          })),
        }),
      ),
    );
    expect(e.code).toBe(ReferralsErrorCode.InvalidArgument);
    expect(e.violations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
      'attachments:max-items',
      'target.ods_code:different-organisation',
      'target.region:region',
    ]);
    expect(lookups).toEqual([]);
  });

  it('refuses an oversize attachment with its size and the limit', async () => {
    const { service } = createTestService();
    const e = await refusal(
      service.send(
        gp,
        input({
          attachments: [
            { contentType: 'application/pdf', title: 'ok', data: new Uint8Array(10) },
            { contentType: 'application/pdf', title: 'big', data: new Uint8Array(2 * 1024 * 1024) },
          ],
        }),
      ),
    );
    expect(e.code).toBe(ReferralsErrorCode.AttachmentTooLarge);
    expect(e.kind).toBe('INVALID_ARGUMENT');
    expect(e.violations).toEqual([
      {
        field: 'attachments[1]',
        rule: 'max-size',
        message: 'attachments[1] is 2097152 bytes; the limit is 1048576 bytes (1 MiB)',
      },
    ]);
  });

  it.each([
    ['not-found', ReferralsErrorCode.PatientNotFound],
    ['deceased', ReferralsErrorCode.PatientDeceased],
    ['merged', ReferralsErrorCode.PatientMerged],
  ] as const)('refuses a %s patient', async (standing, code) => {
    const { service, lookups } = createTestService(standing);
    const e = await refusal(service.send(gp, input()));
    expect(e.code).toBe(code);
    expect(lookups).toEqual(['9434765919']);
  });

  it('computes attachment checksums as lower-case hex sha256', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
