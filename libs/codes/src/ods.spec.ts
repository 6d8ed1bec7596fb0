import { isOdsCode } from './ods';

describe('ODS code syntax', () => {
  it.each(['RR8', 'X26', 'QHM', 'RX1AB', 'A81001', 'Y12345', 'ABCDEFGHIJ'])(
    'accepts %s',
    (code) => {
      expect(isOdsCode(code)).toBe(true);
    },
  );

  it.each(['', 'R8', 'a81001', 'A81 001', 'A81-001', 'ABCDEFGHIJK', ' A81001'])(
    'refuses %j',
    (code) => {
      expect(isOdsCode(code)).toBe(false);
    },
  );
});
