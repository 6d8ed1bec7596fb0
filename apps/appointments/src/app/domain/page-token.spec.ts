import { AppointmentsError } from './appointments.errors';
import { pageToken } from './page-token';

describe('page tokens', () => {
  const filter = { serviceType: 'x', from: '2030-01-01T00:00:00.000Z' };
  const cursor = { s: '2030-01-01T10:00:00.000Z', i: '2c1b3a8e-0000-4000-8000-000000000001' };

  it('round-trips with the same filter', () => {
    expect(pageToken.decode(pageToken.encode(cursor, filter), filter)).toEqual(cursor);
  });
  it('is empty for the first page', () => {
    expect(pageToken.decode('', filter)).toBeUndefined();
  });
  it('refuses a token from a different query', () => {
    const token = pageToken.encode(cursor, filter);
    expect(() =>
      pageToken.decode(token, { ...filter, serviceType: 'y' }, 'page.page_token'),
    ).toThrow(AppointmentsError);
  });
  it('refuses garbage with a field violation', () => {
    try {
      pageToken.decode('not-a-token', filter, 'page.page_token');
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(AppointmentsError);
      expect((e as AppointmentsError).violations[0]).toMatchObject({
        field: 'page.page_token',
        rule: 'page-token',
      });
    }
  });
});
