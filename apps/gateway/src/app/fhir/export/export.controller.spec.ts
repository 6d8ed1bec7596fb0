import { attachCaller } from '@trellis/auth';
import { testCaller } from '@trellis/auth/testing';
import { FhirError } from '@trellis/fhir';
import type { Request, Response } from 'express';

import type { FhirConfig } from '../fhir.config';
import { ExportFhirController } from './export.controller';
import { TOO_COSTLY, type ExportJobs } from './export.jobs';

const config = {
  publicUrl: 'https://gw.test',
  platforms: { identity: 'x:1', referrals: 'x:2', results: 'x:3' },
  exportTtlMs: 3_600_000,
  exportMaxRetainedBytes: 10_000,
} as unknown as FhirConfig;

const caller = (scopes: string[]) =>
  testCaller({ systemId: 'authority-ne', scopes, tokenId: 'jti' });

function fakeJobs(over: Partial<Record<keyof ExportJobs, unknown>>) {
  const created: unknown[] = [];
  const jobs = {
    retained: () => Promise.resolve({ bytes: 0 }),
    create: (j: unknown) => {
      created.push(j);
      return Promise.resolve({ id: '00000000-0000-4000-8000-000000000001' });
    },
    ...over,
  } as unknown as ExportJobs;
  return { jobs, created };
}

function request(query: Record<string, string>, scopes: string[]): Request {
  const req = {
    params: { id: 'region-north-east' },
    query,
    headers: { prefer: 'respond-async' },
    originalUrl: '/fhir/Group/region-north-east/$export',
  } as unknown as Request;
  attachCaller(req, caller(scopes));
  return req;
}

function response() {
  const r = { statusCode: 0, headers: {} as Record<string, string> };
  const res = {
    status: (s: number) => ((r.statusCode = s), res),
    setHeader: (k: string, v: string) => ((r.headers[k.toLowerCase()] = v), res),
    type: () => res,
    send: () => res,
    json: () => res,
    end: () => res,
  } as unknown as Response;
  return { res, r };
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof FhirError)) throw e;
    return {
      status: e.status,
      rule: e.issues[0]?.rule,
      code: e.issues[0]?.code,
      retryAfter: e.headers['Retry-After'],
    };
  }
  throw new Error('not refused');
};

const READS = ['region/north-east/population.read', 'system/Patient.r', 'system/ServiceRequest.r'];

describe('ExportFhirController kick-off', () => {
  it('exports, without _type, the served types the caller may read (appointments not connected)', async () => {
    const { jobs, created } = fakeJobs({});
    const { res, r } = response();
    const ctl = new ExportFhirController(jobs, config);
    await ctl.groupExport(request({}, [...READS, 'system/Appointment.r']), res);
    expect(r.statusCode).toBe(202);
    expect(created).toEqual([
      expect.objectContaining({ region: 'north-east', types: ['Patient', 'ServiceRequest'] }),
    ]);
  });

  it('refuses a _type of an unconnected platform (400) and one the caller may not read (403)', async () => {
    const ctl = new ExportFhirController(fakeJobs({}).jobs, config);
    const { res } = response();
    expect(await refusal(ctl.groupExport(request({ _type: 'Appointment' }, READS), res))).toEqual(
      expect.objectContaining({ status: 400, rule: 'export.type-unsupported' }),
    );
    expect(
      await refusal(ctl.groupExport(request({ _type: 'DiagnosticReport' }, READS), res)),
    ).toEqual(expect.objectContaining({ status: 403, rule: 'export.type-scope' }));
  });

  it('refuses a kick-off 429 with Retry-After while retained files are at their cap; none created', async () => {
    const nextExpiry = new Date(Date.now() + 90_000);
    const { jobs, created } = fakeJobs({
      retained: () => Promise.resolve({ bytes: 10_000, nextExpiry }),
    });
    const ctl = new ExportFhirController(jobs, config);
    const got = await refusal(ctl.groupExport(request({}, READS), response().res));
    expect(got).toEqual({
      status: 429,
      rule: 'export.storage-full',
      code: 'throttled',
      retryAfter: expect.stringMatching(/^(89|90)$/),
    });
    expect(created).toEqual([]);
  });

  it('answers a job failed for its size 422 too-costly at the status URL, another failure 500', async () => {
    const failed = (error: string) =>
      fakeJobs({
        ofOwner: () => Promise.resolve({ id: 'j', status: 'failed', error }),
      }).jobs;
    const req = { params: { id: 'j' } } as unknown as Request;
    attachCaller(req, caller(READS));
    const tooBig = new ExportFhirController(failed(`${TOO_COSTLY}: over 1024 bytes`), config);
    expect(await refusal(tooBig.status(req, response().res))).toEqual(
      expect.objectContaining({ status: 422, rule: 'export.too-large', code: 'too-costly' }),
    );
    const broken = new ExportFhirController(failed('identity: unavailable'), config);
    expect(await refusal(broken.status(req, response().res))).toEqual(
      expect.objectContaining({ status: 500, rule: 'export.failed' }),
    );
  });
});
