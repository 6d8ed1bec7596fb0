import { eventActor } from './domain-event';

describe('eventActor', () => {
  it("places the system's organisation in the caller's own region and names the user", () => {
    expect(
      eventActor({ systemId: 'sys-gp', odsCode: 'A81001', region: 'london', userId: 'u-1' }),
    ).toEqual({
      systemId: 'sys-gp',
      organisation: { odsCode: 'A81001', region: 'london' },
      userId: 'u-1',
    });
  });

  it('leaves the user out when the call named none', () => {
    const actor = eventActor({ systemId: 'sys-gp', odsCode: 'A81001', region: '', userId: '' });
    expect(actor).toEqual({ systemId: 'sys-gp', organisation: { odsCode: 'A81001', region: '' } });
    expect('userId' in actor).toBe(false);
  });
});
