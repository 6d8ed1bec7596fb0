import { createServer, type Server } from 'node:net';

import { freePort, portSlice } from './free-port';

function listenOn(port: number): Promise<Server> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(port, '127.0.0.1', () => done(srv));
  });
}

describe('freePort', () => {
  it('gives each Jest worker its own slice below the ephemeral range', () => {
    const slices = ['1', '2', '3', '4', '5', '6'].map(portSlice);
    for (const s of slices) {
      expect(s.last - s.first).toBe(1_999);
      expect(s.last).toBeLessThan(32_768);
    }
    for (let i = 1; i < slices.length; i++)
      expect(slices[i]!.first).toBeGreaterThan(slices[i - 1]!.last);
    expect(portSlice(undefined)).toEqual(portSlice('1'));
    expect(portSlice('7')).toEqual(portSlice('1'));
  });

  it('hands out distinct bindable ports of this worker slice, skipping one already taken', async () => {
    const slice = portSlice(process.env['JEST_WORKER_ID']);
    const first = await freePort();
    expect(first).toBeGreaterThanOrEqual(slice.first);
    expect(first).toBeLessThanOrEqual(slice.last);
    const next = first === slice.last ? slice.first : first + 1;
    const taken = await listenOn(next);
    try {
      const second = await freePort();
      expect(second).not.toBe(first);
      expect(second).not.toBe(next);
      expect(second).toBeGreaterThanOrEqual(slice.first);
      expect(second).toBeLessThanOrEqual(slice.last);
      const srv = await listenOn(second);
      await new Promise((done) => srv.close(done));
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });
});
