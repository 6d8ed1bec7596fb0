import { randomBytes } from 'node:crypto';

import type { Actor } from '../src/app/domain/ports';
import { ReferralsErrorCode } from '../src/app/domain/referrals.errors';
import type { Status } from '../src/app/domain/referral-state';
import { rttStatus } from '../src/app/domain/rtt';
import type { ReferralWithAttachments } from '../src/app/referrals/referrals.repository';
import {
  priorityOf,
  sha256Hex,
  statusOf,
  type SendInput,
} from '../src/app/referrals/referrals.service';
import { expectRefusal } from './support/expect-error';
import { Client } from 'pg';

import {
  actor,
  createTestDatabase,
  databaseUrl,
  DAY,
  HOUR,
  TestClock,
  testNhsNumber,
  type TestDatabase,
} from './support/harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { createServices, referralInput, type Services } from './support/services';

const gp: Actor = actor('A81001', 'north-east');
const trust: Actor = actor('RTH', 'south-east');
const stranger: Actor = actor('RJ1', 'london');

describe('referrals (real PostgreSQL, identity over gRPC, outbox)', () => {
  let db: TestDatabase;
  let identity: IdentityTestServer;
  let clock: TestClock;
  let svc: Services;

  beforeAll(async () => {
    db = await createTestDatabase();
    identity = new IdentityTestServer();
    await identity.start();
    clock = new TestClock(new Date('2028-02-01T09:00:00Z'));
    svc = createServices(db, clock, identity.address);
  });

  afterAll(async () => {
    svc?.identity.close();
    await identity?.stop();
    await db?.drop();
  });

  function patient(): string {
    const nhs = testNhsNumber();
    identity.add({ nhsNumber: nhs });
    return nhs;
  }

  async function send(
    overrides: Partial<SendInput> = {},
    by: Actor = gp,
  ): Promise<ReferralWithAttachments> {
    const { referral } = await svc.referrals.send(
      by,
      referralInput(overrides.nhsNumber ?? patient(), overrides),
    );
    return referral;
  }

  async function book(
    r: ReferralWithAttachments,
    start = new Date(clock.now().getTime() + 7 * DAY),
    appointmentId = `appt-${r.id}`,
  ) {
    return db.prisma.$transaction((tx) =>
      svc.referrals.onAppointmentBooked(tx, {
        referralId: r.id,
        appointmentId,
        nhsNumber: r.nhsNumber,
        odsCode: r.targetOdsCode,
        start,
        bookedBy: { systemId: 'gp-system', odsCode: r.referrerOdsCode },
      }),
    );
  }

  async function inState(state: Status): Promise<ReferralWithAttachments> {
    const r = await send();
    switch (state) {
      case 'sent':
        return r;
      case 'accepted':
        return svc.referrals.accept(trust, r.id, 'triaged');
      case 'rejected':
        return svc.referrals.reject(trust, r.id, 'not appropriate for this service');
      case 'advice-given':
        return svc.referrals.giveAdvice(trust, r.id, 'start a statin and review in 3 months');
      case 'booked':
        await svc.referrals.accept(trust, r.id, '');
        expect(await book(r)).toBe('booked');
        return svc.referrals.get(gp, r.id);
      case 'completed':
        await svc.referrals.accept(trust, r.id, '');
        await book(r);
        return svc.referrals.complete(trust, r.id, 'discharged');
      case 'cancelled':
        return svc.referrals.cancel(gp, r.id, 'patient declined');
      case 'returned':
        return svc.referrals.returnToReferrer(trust, r.id, 'manage in primary care');
    }
  }

  async function outbox(
    subject: string,
  ): Promise<
    { ce_type: string; ods_code: string; region: string; regions: string[]; key: string }[]
  > {
    const r = await db.sql.query(
      'SELECT ce_type, ods_code, region, regions, key FROM outbox_events WHERE ce_subject = $1 ORDER BY seq',
      [subject],
    );
    return r.rows;
  }

  describe('sending', () => {
    it('stores a sent referral with attachments, a timeline entry and ReferralSent naming both organisations', async () => {
      const data = randomBytes(2048);
      const r = await send({
        priority: 'two-week-wait',
        attachments: [
          { contentType: 'application/pdf', title: 'ECG', data, sha256: sha256Hex(data) },
        ],
      });
      expect(statusOf(r)).toBe('sent');
      expect(priorityOf(r)).toBe('two-week-wait');
      expect(r).toMatchObject({
        referrerOdsCode: 'A81001',
        referrerRegion: 'north-east',
        targetOdsCode: 'RTH',
        targetRegion: 'south-east',
      });
      expect(r.sentAt.toISOString()).toBe(clock.now().toISOString());
      expect(r.attachments).toEqual([
        expect.objectContaining({
          contentType: 'application/pdf',
          size: 2048,
          sha256: sha256Hex(data),
        }),
      ]);
      const { entries } = await svc.referrals.timeline(trust, r.id);
      expect(
        entries.map((e) => [e.fromStatus, e.toStatus, e.actorOdsCode, e.at.toISOString()]),
      ).toEqual([[null, 'sent', 'A81001', clock.now().toISOString()]]);
      const events = await outbox(r.id);
      expect(events).toEqual([
        {
          ce_type: 'uk.nhs.trellis.referrals.ReferralSent.v1',
          ods_code: 'RTH',
          region: 'south-east',
          regions: ['south-east', 'north-east'],
          key: r.nhsNumber,
        },
      ]);
    });

    it('is idempotent on (referrer, key) and refuses a reused key for another request', async () => {
      const input = referralInput(patient());
      const first = await svc.referrals.send(gp, input);
      const again = await svc.referrals.send(gp, input);
      expect(again).toMatchObject({ replayed: true, referral: { id: first.referral.id } });
      await expectRefusal(
        svc.referrals.send(gp, { ...input, clinicalSummary: 'different' }),
        ReferralsErrorCode.IdempotencyKeyReused,
      );
      expect(await outbox(first.referral.id)).toHaveLength(1);
    });

    it('reports every invalid field at once', async () => {
      const e = await expectRefusal(
        svc.referrals.send(gp, {
          ...referralInput('1234567890'),
          priority: undefined,
          reason: { code: '29857008', display: '' },
          target: { odsCode: 'rth', region: 'Nowhere', specialtyCode: '' },
          clinicalSummary: '',
        }),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(e.violations.map((v) => v.field).sort()).toEqual(
        [
          'clinical_summary',
          'nhs_number',
          'priority',
          'reason.code',
          'reason.display',
          'target.ods_code',
          'target.region',
          'target.specialty_code',
        ].sort(),
      );
      expect(e.violations.find((v) => v.field === 'reason.code')?.rule).toBe('snomed.check-digit');
    });

    it('refuses an organisation missing from the ODS reference data, and a region contradicting it', async () => {
      const unknown = await expectRefusal(
        svc.referrals.send(
          gp,
          referralInput(patient(), {
            target: { odsCode: 'ZZZ99', region: 'north-east', specialtyCode: 'cardiology' },
          }),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(unknown.violations).toEqual([
        expect.objectContaining({ field: 'target.ods_code', rule: 'organisation.unknown' }),
      ]);
      const wrongRegion = await expectRefusal(
        svc.referrals.send(
          gp,
          referralInput(patient(), {
            target: { odsCode: 'RTH', region: 'north-east', specialtyCode: 'cardiology' },
          }),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(wrongRegion.violations).toEqual([
        expect.objectContaining({ field: 'target.region', rule: 'region.mismatch' }),
      ]);
    });

    it("takes the target's region, and the event's, from the reference data when none is stated", async () => {
      // the token's region claim does not decide either: A81001 is in the north-east
      const r = await send(
        { target: { odsCode: 'RTD', region: '', specialtyCode: 'breast-surgery' } },
        actor('A81001', 'london'),
      );
      expect(r).toMatchObject({
        targetOdsCode: 'RTD',
        targetRegion: 'north-east',
        referrerRegion: 'north-east',
      });
      const [event] = await outbox(r.id);
      expect(event).toMatchObject({ ods_code: 'RTD', region: 'north-east' });
    });

    it('refuses an attachment over 1 MiB clearly, and a checksum that does not match', async () => {
      const nhs = patient();
      const big = await expectRefusal(
        svc.referrals.send(
          gp,
          referralInput(nhs, {
            attachments: [
              { contentType: 'image/png', title: 'x', data: new Uint8Array(1024 * 1024 + 1) },
            ],
          }),
        ),
        ReferralsErrorCode.AttachmentTooLarge,
      );
      expect(big.message).toContain('attachments[0] is 1048577 bytes; the limit is 1048576 bytes');
      const bad = await expectRefusal(
        svc.referrals.send(
          gp,
          referralInput(nhs, {
            attachments: [
              {
                contentType: 'image/png',
                title: 'x',
                data: new Uint8Array([1, 2]),
                sha256: '0'.repeat(64),
              },
            ],
          }),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(bad.violations[0]).toMatchObject({ field: 'attachments[0].sha256', rule: 'checksum' });
    });

    it('checks the patient with identity: unknown, deceased and merged numbers are refused', async () => {
      const unknown = testNhsNumber();
      await expectRefusal(
        svc.referrals.send(gp, referralInput(unknown)),
        ReferralsErrorCode.PatientNotFound,
      );
      const dead = testNhsNumber();
      identity.add({ nhsNumber: dead, deceasedAt: new Date('2027-12-01T00:00:00Z') });
      await expectRefusal(
        svc.referrals.send(gp, referralInput(dead)),
        ReferralsErrorCode.PatientDeceased,
      );
      const survivor = patient();
      const old = testNhsNumber();
      identity.add({ nhsNumber: old, mergedInto: survivor });
      const merged = await expectRefusal(
        svc.referrals.send(gp, referralInput(old)),
        ReferralsErrorCode.PatientMerged,
      );
      expect(merged.message).toContain(survivor);
    });
  });

  describe('state machine', () => {
    const STATES: Status[] = [
      'sent',
      'accepted',
      'rejected',
      'advice-given',
      'booked',
      'completed',
      'cancelled',
      'returned',
    ];
    const ACTIONS = {
      accept: (id: string) => svc.referrals.accept(trust, id, 'ok'),
      reject: (id: string) => svc.referrals.reject(trust, id, 'no capacity'),
      'give-advice': (id: string) => svc.referrals.giveAdvice(trust, id, 'advice'),
      complete: (id: string) => svc.referrals.complete(trust, id, 'done'),
      cancel: (id: string) => svc.referrals.cancel(gp, id, 'no longer needed'),
      return: (id: string) => svc.referrals.returnToReferrer(trust, id, 'manage in primary care'),
    } as const;
    const LEGAL: Record<string, Status> = {
      'sent:accept': 'accepted',
      'sent:reject': 'rejected',
      'sent:give-advice': 'advice-given',
      'sent:cancel': 'cancelled',
      'accepted:cancel': 'cancelled',
      'sent:return': 'returned',
      'accepted:return': 'returned',
      'booked:complete': 'completed',
      'booked:cancel': 'cancelled',
    };

    for (const state of STATES) {
      it(`from '${state}': legal transitions apply with who/when, illegal ones are refused with the current state`, async () => {
        for (const [action, run] of Object.entries(ACTIONS)) {
          const r = await inState(state);
          expect(statusOf(r)).toBe(state);
          const to = LEGAL[`${state}:${action}`];
          clock.advance(HOUR);
          if (to) {
            const after = await run(r.id);
            expect(statusOf(after)).toBe(to);
            expect(after.version).toBeGreaterThan(r.version);
            const { entries } = await svc.referrals.timeline(gp, r.id);
            const last = entries[entries.length - 1]!;
            expect(last).toMatchObject({ fromStatus: state, toStatus: to, source: 'api' });
            expect(last.at.toISOString()).toBe(clock.now().toISOString());
            expect(last.actorOdsCode).toBe(action === 'cancel' ? 'A81001' : 'RTH');
          } else {
            const e = await expectRefusal(run(r.id), ReferralsErrorCode.IllegalTransition);
            expect(e.metadata['currentStatus']).toBe(state);
            expect(e.message).toContain(`is '${state}'`);
            expect(statusOf(await svc.referrals.get(gp, r.id))).toBe(state);
          }
        }
      });
    }

    it('returns a referral to the referrer: reason kept, clock stopped, ReferralReturned + RttClockStopped in the outbox; target only, reason required', async () => {
      const r = await inState('accepted');
      await expectRefusal(
        svc.referrals.returnToReferrer(gp, r.id, 'x'),
        ReferralsErrorCode.NotTarget,
      );
      await expectRefusal(
        svc.referrals.returnToReferrer(trust, r.id, '  '),
        ReferralsErrorCode.InvalidArgument,
      );
      clock.advance(HOUR);
      const back = await svc.referrals.returnToReferrer(trust, r.id, 'manage in primary care');
      expect(back).toMatchObject({
        status: 'returned',
        returnReason: 'manage in primary care',
        rttStopReason: 'referral-closed',
      });
      expect(back.rttStoppedAt?.toISOString()).toBe(clock.now().toISOString());
      expect((await outbox(r.id)).map((e) => e.ce_type.split('.')[4])).toEqual([
        'ReferralSent',
        'ReferralAccepted',
        'ReferralReturned',
        'RttClockStopped',
      ]);
      expect(await book(back)).toBe('flagged');
      const e = await expectRefusal(
        svc.referrals.cancel(gp, r.id, 'changed my mind'),
        ReferralsErrorCode.IllegalTransition,
      );
      expect(e.message).toContain("is 'returned'");
    });

    it('books only sent or accepted referrals; every state change is one ReferralX event', async () => {
      const r = await inState('completed');
      expect((await outbox(r.id)).map((e) => e.ce_type.split('.')[4])).toEqual([
        'ReferralSent',
        'ReferralAccepted',
        'ReferralBooked',
        'ReferralCompleted',
        'RttClockStopped',
      ]);
      const direct = await send();
      expect(await book(direct)).toBe('booked'); // direct booking from sent
      const timeline = await svc.referrals.timeline(trust, direct.id);
      expect(timeline.entries.map((e) => e.toStatus)).toEqual(['sent', 'booked']);
      expect(timeline.entries[1]).toMatchObject({ source: 'event', actorSystemId: 'gp-system' });
    });

    it('requires a reason to reject or cancel', async () => {
      const r = await send();
      const e = await expectRefusal(
        svc.referrals.reject(trust, r.id, '  '),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(e.violations[0]).toMatchObject({ field: 'reason', rule: 'required' });
      await expectRefusal(svc.referrals.cancel(gp, r.id, ''), ReferralsErrorCode.InvalidArgument);
    });

    it('lets only the target triage, and hides the referral from other organisations', async () => {
      const r = await send();
      await expectRefusal(svc.referrals.accept(gp, r.id, ''), ReferralsErrorCode.NotTarget);
      await expectRefusal(svc.referrals.get(stranger, r.id), ReferralsErrorCode.ReferralNotFound);
      await expectRefusal(
        svc.referrals.cancel(stranger, r.id, 'x'),
        ReferralsErrorCode.ReferralNotFound,
      );
      await expectRefusal(
        svc.referrals.timeline(stranger, r.id),
        ReferralsErrorCode.ReferralNotFound,
      );
    });

    it('converts advice into a new sent referral without re-entering it, once, by the referrer only', async () => {
      const data = randomBytes(100);
      const r = await send({ attachments: [{ contentType: 'text/plain', title: 'notes', data }] });
      await svc.referrals.giveAdvice(trust, r.id, 'try physiotherapy first');
      await expectRefusal(
        svc.referrals.convertAdvice(trust, r.id, ''),
        ReferralsErrorCode.NotReferrer,
      );
      clock.advance(30 * DAY);
      const { referral, original } = await svc.referrals.convertAdvice(gp, r.id, 'physio failed');
      expect(statusOf(referral)).toBe('sent');
      expect(referral).toMatchObject({
        basedOnReferralId: r.id,
        nhsNumber: r.nhsNumber,
        reasonCode: r.reasonCode,
        targetOdsCode: 'RTH',
      });
      expect(referral.clinicalSummary).toBe(`${r.clinicalSummary}\n\nphysio failed`);
      expect(referral.attachments).toEqual([
        expect.objectContaining({ sha256: sha256Hex(data), size: 100 }),
      ]);
      expect(referral.rttStartedAt.toISOString()).toBe(clock.now().toISOString());
      expect(original).toMatchObject({ convertedToReferralId: referral.id });
      expect(statusOf(original)).toBe('advice-given');
      await expectRefusal(
        svc.referrals.convertAdvice(gp, r.id, ''),
        ReferralsErrorCode.AlreadyConverted,
      );
      const sent = await send();
      await expectRefusal(
        svc.referrals.convertAdvice(gp, sent.id, ''),
        ReferralsErrorCode.IllegalTransition,
      );
    });
  });

  describe('RTT clock (time injected)', () => {
    it('crosses the 18-week boundary after day 126, across the 2028 leap day', async () => {
      clock.set(new Date('2028-01-10T09:00:00Z'));
      const r = await send();
      clock.set(new Date('2028-05-15T23:59:00Z')); // 126 days incl. 29 Feb
      let s = rttOf(await svc.referrals.get(gp, r.id));
      expect(s).toMatchObject({ daysWaited: 126, weeksWaited: 18, breached18Weeks: false });
      let wl = await svc.referrals.providerWaitingList(trust, 'RTH');
      const before = wl.list.breached18Weeks;
      clock.advance(2 * 60_000); // 2028-05-16T00:01
      s = rttOf(await svc.referrals.get(gp, r.id));
      expect(s).toMatchObject({ daysWaited: 127, breached18Weeks: true });
      wl = await svc.referrals.providerWaitingList(trust, 'RTH');
      expect(wl.list.breached18Weeks).toBe(before + 1);
    });

    it('two-week-wait: first appointment 14 days later (over 29 Feb) is in time, 15 days breaches', async () => {
      clock.set(new Date('2028-02-28T22:00:00Z'));
      const inTime = await send({ priority: 'two-week-wait' });
      const late = await send({ priority: 'two-week-wait' });
      await book(inTime, new Date('2028-03-13T09:00:00Z'));
      await book(late, new Date('2028-03-14T09:00:00Z'));
      clock.set(new Date('2028-03-20T00:00:00Z'));
      expect(rttOf(await svc.referrals.get(gp, inTime.id)).breachedTwoWeekWait).toBe(false);
      expect(rttOf(await svc.referrals.get(gp, late.id)).breachedTwoWeekWait).toBe(true);
      const waiting = await send({ priority: 'two-week-wait' });
      clock.advance(14 * DAY);
      expect(rttOf(await svc.referrals.get(gp, waiting.id)).breachedTwoWeekWait).toBe(false);
      clock.advance(DAY);
      expect(rttOf(await svc.referrals.get(gp, waiting.id)).breachedTwoWeekWait).toBe(true);
    });

    it('stops explicitly (decision not to treat), freezes the wait and emits RttClockStopped once', async () => {
      clock.set(new Date('2028-03-01T10:00:00Z'));
      const r = await svc.referrals.accept(trust, (await send()).id, '');
      clock.advance(20 * DAY);
      await expectRefusal(
        svc.referrals.stopClock(
          trust,
          r.id,
          'decision-not-to-treat',
          new Date('2028-02-29T00:00:00Z'),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      await expectRefusal(
        svc.referrals.stopClock(
          trust,
          r.id,
          'decision-not-to-treat',
          new Date(clock.now().getTime() + HOUR),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      await expectRefusal(
        svc.referrals.stopClock(gp, r.id, 'decision-not-to-treat', undefined),
        ReferralsErrorCode.NotTarget,
      );
      await expectRefusal(
        svc.referrals.stopClock(trust, r.id, undefined, undefined),
        ReferralsErrorCode.InvalidArgument,
      );
      const stopped = await svc.referrals.stopClock(
        trust,
        r.id,
        'decision-not-to-treat',
        new Date('2028-03-15T12:00:00Z'),
      );
      expect(stopped.rttStopReason).toBe('decision-not-to-treat');
      clock.advance(400 * DAY);
      expect(rttOf(await svc.referrals.get(gp, r.id))).toMatchObject({
        running: false,
        daysWaited: 14,
        breached18Weeks: false,
      });
      await expectRefusal(
        svc.referrals.stopClock(trust, r.id, 'first-definitive-treatment', undefined),
        ReferralsErrorCode.RttClockStopped,
      );
      expect(
        (await outbox(r.id)).filter((e) => e.ce_type.endsWith('RttClockStopped.v1')),
      ).toHaveLength(1);
    });
  });

  describe('waiting lists (SQL aggregation)', () => {
    it('counts open pathways per provider and region by weeks-waited band with breaches, matching the clock rules', async () => {
      const now = new Date('2029-06-30T12:00:00Z');
      const target = (ods: string) => ({
        odsCode: ods,
        region: 'yorkshire',
        specialtyCode: 'dermatology',
      });
      const waits = [0, 3, 6 * 7, 12 * 7 + 1, 126, 127, 200, 400];
      const made: ReferralWithAttachments[] = [];
      for (const [i, days] of waits.entries()) {
        clock.set(new Date(now.getTime() - days * DAY));
        made.push(
          await send({
            target: target(i % 2 ? 'RCB' : 'RR8'),
            priority: i === 1 ? 'two-week-wait' : i === 4 ? 'two-week-wait' : 'urgent',
          }),
        );
      }
      clock.set(new Date(now.getTime() - 50 * DAY));
      const closed = await send({ target: target('RR8') });
      await svc.referrals.reject(actor('RR8', 'yorkshire'), closed.id, 'wrong service'); // not on the list
      clock.set(now);
      const region = await svc.referrals.regionWaitingList(actor('RR8', 'yorkshire'), 'yorkshire');
      expect(region.total.total).toBe(waits.length);
      expect(region.total.bands.map((b) => [b.label, b.count])).toEqual([
        ['0-5', 2],
        ['6-11', 1],
        ['12-17', 1],
        ['18-25', 2],
        ['26-51', 1],
        ['52+', 1],
      ]);
      const expected = made.map((r) =>
        rttStatus({ priority: priorityOf(r), startedAt: r.rttStartedAt }, now),
      );
      expect(region.total.breached18Weeks).toBe(expected.filter((s) => s.breached18Weeks).length);
      expect(region.total.breached18Weeks).toBe(3);
      expect(region.total.breachedTwoWeekWait).toBe(1); // the 126-day two-week-wait, not the 3-day one
      expect(region.providers.map((p) => [p.odsCode, p.total])).toEqual([
        ['RCB', 4],
        ['RR8', 4],
      ]);
      const one = await svc.referrals.providerWaitingList(actor('RCB', 'yorkshire'), undefined);
      expect(one.list).toEqual(region.providers[0]);
      const london = actor('RJ1', 'london');
      expect((await svc.referrals.regionWaitingList(london, 'london')).total.total).toBe(0);
    });

    it("refuses another organisation's or region's waiting list (PERMISSION_DENIED naming the field)", async () => {
      const gp = actor('A81001', 'north-east');
      const other = await expectRefusal(
        svc.referrals.providerWaitingList(gp, 'RR8'),
        ReferralsErrorCode.NotOwnWaitingList,
      );
      expect(other.violations).toEqual([
        expect.objectContaining({ field: 'ods_code', rule: 'waiting-list.own' }),
      ]);
      const region = await expectRefusal(
        svc.referrals.regionWaitingList(gp, 'yorkshire'),
        ReferralsErrorCode.NotOwnWaitingList,
      );
      expect(region.violations).toEqual([
        expect.objectContaining({ field: 'region', rule: 'waiting-list.own' }),
      ]);
      expect((await svc.referrals.providerWaitingList(gp, 'A81001')).list.odsCode).toBe('A81001');
      expect((await svc.referrals.regionWaitingList(gp, 'north-east')).total.region).toBe(
        'north-east',
      );
    });
  });

  describe('worklists', () => {
    it("pages a provider's incoming referrals by status and priority; the referrer sees its sent ones; nobody else sees any", async () => {
      const target = { odsCode: 'RX1', region: 'midlands', specialtyCode: 'orthopaedics' };
      const gp2 = actor('B82005', 'yorkshire');
      clock.set(new Date('2028-06-01T08:00:00Z'));
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        clock.advance(HOUR);
        ids.push(
          (await send({ target, priority: i % 2 ? 'urgent' : 'routine' }, i < 5 ? gp : gp2)).id,
        );
      }
      await svc.referrals.accept(actor('RX1', 'midlands'), ids[0]!, '');
      const provider = actor('RX1', 'midlands');
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await svc.referrals.listIncoming(provider, {
          statuses: ['sent', 'accepted'],
          priorities: [],
          pageSize: 3,
          pageToken: token,
        });
        expect(page.referrals.length).toBeLessThanOrEqual(3);
        seen.push(...page.referrals.map((r) => r.id));
        token = page.nextPageToken || undefined;
      } while (token);
      expect(seen).toEqual(ids);
      const urgentSent = await svc.referrals.listIncoming(provider, {
        statuses: ['sent'],
        priorities: ['urgent'],
      });
      expect(urgentSent.referrals.map((r) => r.id)).toEqual([ids[1], ids[3], ids[5]]);
      const accepted = await svc.referrals.listIncoming(provider, {
        statuses: ['accepted'],
        priorities: [],
      });
      expect(accepted.referrals.map((r) => r.id)).toEqual([ids[0]]);
      const sentByGp2 = await svc.referrals.listSent(gp2, { statuses: [], priorities: [] });
      expect(sentByGp2.referrals.map((r) => r.id)).toEqual(ids.slice(5));
      expect(
        (
          await svc.referrals.listIncoming(stranger, { statuses: [], priorities: [] })
        ).referrals.filter((r) => ids.includes(r.id)),
      ).toEqual([]);
      expect(
        (await svc.referrals.listIncoming(gp2, { statuses: [], priorities: [] })).referrals,
      ).toEqual([]);
      const page1 = await svc.referrals.listIncoming(provider, {
        statuses: [],
        priorities: [],
        pageSize: 2,
      });
      await expectRefusal(
        svc.referrals.listIncoming(provider, {
          statuses: ['sent'],
          priorities: [],
          pageSize: 2,
          pageToken: page1.nextPageToken,
        }),
        ReferralsErrorCode.InvalidArgument,
      );
      await expectRefusal(
        svc.referrals.listIncoming(stranger, {
          statuses: [],
          priorities: [],
          pageSize: 2,
          pageToken: page1.nextPageToken,
        }),
        ReferralsErrorCode.InvalidArgument,
      );
    });

    it('filters a worklist by patient, counts every page in its total, and binds the token to the patient', async () => {
      const target = { odsCode: 'RTH08', region: 'south-east', specialtyCode: 'orthopaedics' };
      const [a, b] = [patient(), patient()];
      const first0 = await send({ target, nhsNumber: a });
      clock.advance(60_000); // worklists order by sent time: the second referral is a minute later
      const ofA = [first0, await send({ target, nhsNumber: a })];
      const ofB = await send({ target, nhsNumber: b });
      const provider = actor('RTH08', 'south-east');
      const list = (nhsNumber: string, pageToken?: string) =>
        svc.referrals.listIncoming(provider, {
          statuses: [],
          priorities: [],
          nhsNumber,
          pageSize: 1,
          ...(pageToken ? { pageToken } : {}),
        });
      const first = await list(a);
      expect([first.referrals.map((r) => r.id), first.total]).toEqual([[ofA[0]!.id], 2]);
      const second = await list(a, first.nextPageToken);
      expect([second.referrals.map((r) => r.id), second.nextPageToken]).toEqual([[ofA[1]!.id], '']);
      expect((await list(b)).referrals.map((r) => r.id)).toEqual([ofB.id]);
      expect((await list('')).total).toBe(3);
      const sent = await svc.referrals.listSent(gp, { statuses: [], priorities: [], nhsNumber: b });
      expect(sent.referrals.map((r) => r.id)).toEqual([ofB.id]);
      await expectRefusal(list(b, first.nextPageToken), ReferralsErrorCode.InvalidArgument);
      await expectRefusal(list('1234567890'), ReferralsErrorCode.InvalidArgument);
    });
  });

  describe('reactions', () => {
    it('flags a booking for a rejected or cancelled referral without applying it; a repeated booking is harmless', async () => {
      for (const state of ['rejected', 'cancelled'] as const) {
        const r = await inState(state);
        expect(await book(r)).toBe('flagged');
        const after = await svc.referrals.get(gp, r.id);
        expect(statusOf(after)).toBe(state);
        expect(after).toMatchObject({ bookingFlagged: true, appointmentId: null });
        const { entries } = await svc.referrals.timeline(gp, r.id);
        expect(entries[entries.length - 1]!.note).toMatch(
          new RegExp(`^booking-flagged: .*referral is '${state}'`),
        );
        expect((await outbox(r.id)).some((e) => e.ce_type.endsWith('ReferralBooked.v1'))).toBe(
          false,
        );
      }
      const ok = await send();
      expect(await book(ok, undefined, 'appt-1')).toBe('booked');
      expect(await book(ok, undefined, 'appt-1')).toBe('duplicate');
      expect(
        (await outbox(ok.id)).filter((e) => e.ce_type.endsWith('ReferralBooked.v1')),
      ).toHaveLength(1);
    });

    it("moves a merged patient's referrals to the survivor", async () => {
      const old = patient();
      const survivor = patient();
      const a = await send({ nhsNumber: old });
      const b = await send({ nhsNumber: old });
      const n = await db.prisma.$transaction((tx) =>
        svc.referrals.onPatientMerged(tx, old, survivor),
      );
      expect(n).toBe(2);
      for (const id of [a.id, b.id]) {
        expect(await svc.referrals.get(gp, id)).toMatchObject({
          nhsNumber: survivor,
          mergedFromNhsNumber: old,
        });
      }
      expect(
        await db.prisma.$transaction((tx) => svc.referrals.onPatientMerged(tx, old, survivor)),
      ).toBe(0);
    });
  });

  describe('update (referrer, while sent or accepted) and versions', () => {
    const change = (r: ReferralWithAttachments, extra: Record<string, unknown> = {}) => ({
      expectedVersion: r.version,
      priority: 'urgent' as const,
      reason: { code: '230690007', display: 'Stroke' },
      clinicalSummary: 'Worsening symptoms since the referral was sent.',
      note: 'new information',
      ...extra,
    });

    it('changes priority, reason and summary at the version read, with a timeline row, ReferralUpdated and a stored version each', async () => {
      const r = await send();
      const { referral, changedFields } = await svc.referrals.update(gp, r.id, change(r));
      expect(changedFields).toEqual(['priority', 'reason', 'clinical_summary']);
      expect(referral).toMatchObject({
        version: r.version + 1,
        priority: 'urgent',
        reasonCode: '230690007',
        reasonDisplay: 'Stroke',
        clinicalSummary: 'Worsening symptoms since the referral was sent.',
        nhsNumber: r.nhsNumber,
        targetOdsCode: r.targetOdsCode,
      });
      const { entries } = await svc.referrals.timeline(gp, r.id);
      expect(entries[entries.length - 1]).toMatchObject({
        fromStatus: 'sent',
        toStatus: 'sent',
        actorOdsCode: 'A81001',
        source: 'api',
      });
      expect(entries[entries.length - 1]!.note).toMatch(
        /^updated: priority routine -> urgent; reason 29857009 -> 230690007; clinical_summary \(new information\)$/,
      );
      expect((await outbox(r.id)).map((e) => e.ce_type.split('.')[4])).toEqual([
        'ReferralSent',
        'ReferralUpdated',
      ]);
      // the same values again: nothing changed, no new version, no event
      const same = await svc.referrals.update(gp, r.id, change(referral));
      expect(same).toMatchObject({ changedFields: [], referral: { version: referral.version } });
      expect(await outbox(r.id)).toHaveLength(2);

      // every version is stored; the old one reads as it was
      const v1 = await svc.referrals.getVersion(trust, r.id, 1);
      expect(v1).toMatchObject({ version: 1, change: 'created' });
      expect(v1.referral).toMatchObject({
        priority: 'routine',
        reasonCode: '29857009',
        clinicalSummary: r.clinicalSummary,
        status: 'sent',
        sentAt: r.sentAt,
        idempotencyKey: r.idempotencyKey,
      });
      const accepted = await svc.referrals.accept(trust, r.id, 'triaged');
      const list = await svc.referrals.listVersions(gp, r.id, { pageSize: 2 });
      expect(list.total).toBe(3);
      expect(list.versions.map((x) => [x.version, x.change])).toEqual([
        [3, 'accepted'],
        [2, 'updated'],
      ]);
      expect(list.versions[0]!.referral).toMatchObject({
        version: accepted.version,
        status: 'accepted',
        priority: 'urgent',
      });
      const next = await svc.referrals.listVersions(gp, r.id, {
        pageSize: 2,
        pageToken: list.nextPageToken,
      });
      expect(next.versions.map((x) => x.version)).toEqual([1]);
      expect(next.nextPageToken).toBe('');
      await expectRefusal(
        svc.referrals.getVersion(gp, r.id, 9),
        ReferralsErrorCode.VersionNotFound,
      );
      // versions are as private as the referral
      await expectRefusal(
        svc.referrals.getVersion(stranger, r.id, 1),
        ReferralsErrorCode.ReferralNotFound,
      );
      await expectRefusal(
        svc.referrals.listVersions(stranger, r.id, {}),
        ReferralsErrorCode.ReferralNotFound,
      );
      await expectRefusal(
        svc.referrals.listVersions(gp, r.id, { pageToken: 'bogus' }),
        ReferralsErrorCode.InvalidArgument,
      );
    });

    it('refuses a stale version, the target or a stranger, invalid values, and booked or closed referrals', async () => {
      const r = await send();
      const stale = await expectRefusal(
        svc.referrals.update(gp, r.id, change(r, { expectedVersion: r.version + 1 })),
        ReferralsErrorCode.VersionConflict,
      );
      expect(stale.metadata['currentVersion']).toBe(String(r.version));
      await expectRefusal(
        svc.referrals.update(trust, r.id, change(r)),
        ReferralsErrorCode.NotReferrer,
      );
      await expectRefusal(
        svc.referrals.update(stranger, r.id, change(r)),
        ReferralsErrorCode.ReferralNotFound,
      );
      const bad = await expectRefusal(
        svc.referrals.update(
          gp,
          r.id,
          change(r, {
            expectedVersion: 0,
            priority: undefined,
            reason: { code: '123', display: '' },
            clinicalSummary: '',
          }),
        ),
        ReferralsErrorCode.InvalidArgument,
      );
      expect(bad.violations.map((v) => v.field).sort()).toEqual([
        'clinical_summary',
        'expected_version',
        'priority',
        'reason.code',
        'reason.display',
      ]);
      expect((await svc.referrals.get(gp, r.id)).version).toBe(r.version);
      for (const state of ['booked', 'rejected', 'completed', 'cancelled'] as const) {
        const closed = await inState(state);
        const e = await expectRefusal(
          svc.referrals.update(gp, closed.id, change(closed)),
          ReferralsErrorCode.NotEditable,
        );
        expect(e.metadata['currentStatus']).toBe(state);
      }
      const accepted = await inState('accepted');
      expect(
        (await svc.referrals.update(gp, accepted.id, change(accepted))).referral.priority,
      ).toBe('urgent');
    });

    it('stores a version for changes made by event reactions and merges too', async () => {
      const r = await inState('booked');
      const list = await svc.referrals.listVersions(trust, r.id, {});
      expect(list.versions.map((x) => x.change)).toEqual(['booked', 'accepted', 'created']);
      expect(list.versions[0]!.referral.appointmentId).toBe(`appt-${r.id}`);
      const survivor = patient();
      await db.prisma.$transaction((tx) =>
        svc.referrals.onPatientMerged(tx, r.nhsNumber, survivor),
      );
      const after = await svc.referrals.listVersions(trust, r.id, { pageSize: 1 });
      expect(after.versions[0]).toMatchObject({
        version: r.version + 1,
        change: 'updated',
        referral: { nhsNumber: survivor, mergedFromNhsNumber: r.nhsNumber },
      });
      // maintenance SQL from a session without the schema on its search_path is versioned too
      const plain = new Client({ connectionString: databaseUrl() });
      await plain.connect();
      try {
        await plain.query(
          `UPDATE "${db.schema}".referrals SET version = version + 1, booking_flagged = true WHERE id = $1`,
          [r.id],
        );
      } finally {
        await plain.end();
      }
      expect((await svc.referrals.getVersion(gp, r.id, r.version + 2)).referral).toMatchObject({
        bookingFlagged: true,
        nhsNumber: survivor,
      });
    });
  });

  describe('appointment cancelled (reaction)', () => {
    const cancel = (r: ReferralWithAttachments, appointmentId = `appt-${r.id}`) =>
      db.prisma.$transaction((tx) =>
        svc.referrals.onAppointmentCancelled(tx, {
          referralId: r.id,
          appointmentId,
          reason: 'clinic cancelled',
          cancelledBy: 'caller',
          actor: { systemId: 'trust-pas', odsCode: 'RTH' },
        }),
      );

    it('moves a booked referral back to accepted once, with a timeline row and ReferralBookingCancelled; it can be booked again', async () => {
      const r = await inState('booked');
      expect(await cancel(r, 'some-other-appointment')).toBe('not-booked');
      expect(await cancel(r)).toBe('unbooked');
      expect(await cancel(r)).toBe('not-booked'); // repeated: harmless
      const after = await svc.referrals.get(gp, r.id);
      expect(statusOf(after)).toBe('accepted');
      expect(after).toMatchObject({ appointmentId: null, version: r.version + 1 });
      const { entries } = await svc.referrals.timeline(gp, r.id);
      expect(entries[entries.length - 1]).toMatchObject({
        fromStatus: 'booked',
        toStatus: 'accepted',
        actorSystemId: 'trust-pas',
        actorOdsCode: 'RTH',
        source: 'event',
      });
      expect(entries[entries.length - 1]!.note).toContain(
        `appointment appt-${r.id} cancelled (clinic cancelled)`,
      );
      expect(
        (await outbox(r.id)).filter((e) => e.ce_type.endsWith('ReferralBookingCancelled.v1')),
      ).toHaveLength(1);
      expect(await book(after, undefined, 'appt-2')).toBe('booked');
      expect(statusOf(await svc.referrals.get(gp, r.id))).toBe('booked');
    });

    it('leaves completed, cancelled and unknown referrals alone', async () => {
      for (const state of ['completed', 'cancelled'] as const) {
        const r = await inState(state);
        const before = await svc.referrals.get(gp, r.id);
        expect(await cancel(r)).toBe('not-booked');
        expect(await svc.referrals.get(gp, r.id)).toMatchObject({
          status: before.status,
          version: before.version,
        });
      }
      expect(
        await db.prisma.$transaction((tx) =>
          svc.referrals.onAppointmentCancelled(tx, {
            referralId: '00000000-0000-4000-8000-000000000000',
            appointmentId: 'x',
            reason: '',
            cancelledBy: 'caller',
          }),
        ),
      ).toBe('unknown-referral');
    });
  });

  function rttOf(r: ReferralWithAttachments) {
    return rttStatus(
      {
        priority: priorityOf(r),
        startedAt: r.rttStartedAt,
        stoppedAt: r.rttStoppedAt,
        firstAppointmentAt: r.firstAppointmentAt,
      },
      clock.now(),
    );
  }
});
