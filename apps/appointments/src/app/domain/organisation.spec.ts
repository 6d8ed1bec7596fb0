import { classifyOdsCode, mayBook, type OrganisationType } from './organisation';

describe('classifyOdsCode', () => {
  const examples: Record<OrganisationType, readonly string[]> = {
    'gp-practice': ['A81001', 'Y02906'],
    'nhs-trust': ['RTH'],
    'nhs-trust-site': ['RTH08'],
    pharmacy: ['FA123'],
    icb: ['QHM', '00L'],
    other: ['8HK49'],
  };
  it.each(Object.entries(examples).flatMap(([type, codes]) => codes.map((code) => [code, type])))(
    '%s is %s',
    (code, type) => {
      expect(classifyOdsCode(code)).toBe(type);
    },
  );

  it('prefers a configured override', () => {
    expect(classifyOdsCode('8HK49', { '8HK49': 'pharmacy' })).toBe('pharmacy');
  });
});

describe('mayBook', () => {
  const open = { ownerOdsCode: 'RTH', odsCodes: [], orgTypes: [] };
  const restricted = { ownerOdsCode: 'RTH', odsCodes: ['A81001'], orgTypes: ['nhs-trust'] };

  it('lets anyone book an open schedule', () => {
    expect(mayBook(open, 'B82001', 'gp-practice')).toBe(true);
  });
  it('always lets the owner book', () => {
    expect(mayBook(restricted, 'RTH', 'nhs-trust')).toBe(true);
  });
  it('lets named organisations and listed types book, and refuses the rest', () => {
    expect(mayBook(restricted, 'A81001', 'gp-practice')).toBe(true);
    expect(mayBook(restricted, 'RXA', 'nhs-trust')).toBe(true);
    expect(mayBook(restricted, 'B82001', 'gp-practice')).toBe(false);
    expect(mayBook(restricted, 'FA123', 'pharmacy')).toBe(false);
  });
});
