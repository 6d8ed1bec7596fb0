import { events } from '@trellis/contracts';
import { decideRouting, regionalEventId, type PatientHomeFact } from './regional-policy';

const E = events.v1;
const REGIONS = new Set(['north-east', 'london', 'yorkshire', 'south-west']);
const NHS = '9990000018';

function referralSent(referrerRegion: string, targetRegion: string) {
  return E.ReferralSent.encode(
    E.ReferralSent.fromPartial({
      context: {
        organisations: [
          { odsCode: 'A81001', region: referrerRegion },
          { odsCode: 'RTH', region: targetRegion },
        ],
        regions: [referrerRegion, targetRegion],
        actor: {
          systemId: 'gp-1',
          organisation: { odsCode: 'A81001', region: referrerRegion },
          userId: 'dr-who',
        },
        correlationId: 'c1',
      },
      referral: E.ReferralEventContext.fromPartial({
        referralId: 'r1',
        nhsNumber: NHS,
        referrerOdsCode: 'A81001',
        referrerRegion,
        referrerPractitionerId: 'G1234567',
        targetOdsCode: 'RTH',
        targetRegion,
        specialtyCode: 'cardiology',
        priority: 'urgent',
        status: 'sent',
        reasonCode: '29857009',
        reasonDisplay: 'Chest pain',
      }),
    }),
  ).finish();
}

const event = (type: string, data: Uint8Array, region?: string, regions: string[] = []) => ({
  id: '0b9a3c52-8f64-4f8e-9b7c-6c1f0a7e2d11',
  type,
  key: NHS,
  region,
  regions,
  data,
});

describe('decideRouting', () => {
  it('sends an event between two regions to both: full to the home region, minimal to the other', () => {
    const d = decideRouting(
      event(
        'uk.nhs.trellis.referrals.ReferralSent.v1',
        referralSent('north-east', 'london'),
        'north-east',
        ['north-east', 'london'],
      ),
      undefined,
      REGIONS,
    );
    expect(d?.homeRegion).toBe('north-east');
    expect(d?.deliveries.map((x) => [x.region, x.view])).toEqual([
      ['north-east', 'full'],
      ['london', 'minimal'],
    ]);
    const full = E.ReferralSent.decode(d!.deliveries[0]!.payload);
    expect(full.referral?.reasonDisplay).toBe('Chest pain');
    expect(full.context?.actor?.userId).toBe('dr-who');
    const minimal = E.ReferralSent.decode(d!.deliveries[1]!.payload);
    expect(minimal.referral).toMatchObject({
      reasonCode: '',
      reasonDisplay: '',
      referrerPractitionerId: '',
      priority: 'urgent',
      specialtyCode: 'cardiology',
      referralId: 'r1',
    });
    expect(minimal.context?.actor?.userId).toBeUndefined();
  });

  it("adds the patient's home region (from identity) to events of other regions' organisations", () => {
    const home: PatientHomeFact = {
      nhsNumber: NHS,
      region: 'yorkshire',
      gpOdsCode: 'B81001',
      confidentiality: 'normal',
      version: 1,
    };
    const d = decideRouting(
      event('uk.nhs.trellis.referrals.ReferralSent.v1', referralSent('london', 'london'), 'london'),
      home,
      REGIONS,
    );
    expect(d?.deliveries.map((x) => [x.region, x.view])).toEqual([
      ['yorkshire', 'full'],
      ['london', 'minimal'],
    ]);
  });

  it("learns the home region from identity events and hides a restricted patient's new practice from the previous region", () => {
    const data = E.GpRegistrationChanged.encode(
      E.GpRegistrationChanged.fromPartial({
        patient: {
          nhsNumber: NHS,
          version: 3,
          gpOdsCode: 'L81001',
          region: 'south-west',
          confidentiality: 'restricted',
        },
        previousGpOdsCode: 'A81001',
        previousRegion: 'north-east',
      }),
    ).finish();
    const d = decideRouting(
      event('uk.nhs.trellis.identity.GpRegistrationChanged.v1', data, 'south-west'),
      undefined,
      REGIONS,
    );
    expect(d?.home).toMatchObject({
      region: 'south-west',
      gpOdsCode: 'L81001',
      version: 3,
      confidentiality: 'restricted',
    });
    const prev = d!.deliveries.find((x) => x.region === 'north-east')!;
    expect(prev.view).toBe('minimal');
    expect(E.GpRegistrationChanged.decode(prev.payload).patient).toMatchObject({
      gpOdsCode: '',
      region: '',
    });
    expect(
      E.GpRegistrationChanged.decode(d!.deliveries.find((x) => x.region === 'south-west')!.payload)
        .patient?.gpOdsCode,
    ).toBe('L81001');
  });

  it('never routes to regions outside the region table, and skips unknown event types', () => {
    const d = decideRouting(
      event(
        'uk.nhs.trellis.referrals.ReferralSent.v1',
        referralSent('north-east', 'atlantis'),
        'north-east',
      ),
      undefined,
      REGIONS,
    );
    expect(d?.deliveries.map((x) => x.region)).toEqual(['north-east']);
    expect(d?.unknownRegions).toEqual(['atlantis']);
    expect(
      decideRouting(
        event('uk.nhs.trellis.audit.AccessRecorded.v1', new Uint8Array()),
        undefined,
        REGIONS,
      ),
    ).toBeUndefined();
  });

  it('refuses an undecodable payload as poison', () => {
    expect(() =>
      decideRouting(
        event('uk.nhs.trellis.referrals.ReferralSent.v1', Uint8Array.from([0xff, 0xff, 0xff])),
        undefined,
        REGIONS,
      ),
    ).toThrow(/not a valid/);
  });

  it('derives a stable, distinct uuid per region', () => {
    const a = regionalEventId('e1', 'london');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(regionalEventId('e1', 'london')).toBe(a);
    expect(regionalEventId('e1', 'north-east')).not.toBe(a);
  });
});
