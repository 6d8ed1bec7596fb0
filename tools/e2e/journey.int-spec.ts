/**
 * The national journey end to end against the platform started by the README's start command
 * (`bash tools/trellis.sh start`): when nothing answers on the gateway, this suite starts it
 * (detached), waits for readiness, and stops it afterwards (Kafka is left running for the other
 * suites). Everything goes over real HTTP, gRPC, PostgreSQL and Kafka; the regional streams are
 * read by tools/regional/consumer.ts with the authorities' own SCRAM credentials.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

import { journeyConfigFromEnv, runJourney, type JourneyResult } from '../demo/journey';

const ROOT = resolve(__dirname, '..', '..');
jest.setTimeout(600_000);

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

function trellis(cmd: 'start' | 'stop'): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn('bash', [join(ROOT, 'tools/trellis.sh'), cmd], {
      cwd: ROOT,
      env: { ...process.env, TRELLIS_START_DETACH: '1', TRELLIS_KEEP_KAFKA: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('close', (code) => done(code));
  });
}

const shortType = (t: string) =>
  t.replace(/^uk\.nhs\.trellis\.[a-z]+\./, '').replace(/\.v\d+$/, '');

let startedHere = false;
let result: JourneyResult;
const lines: string[] = [];

beforeAll(async () => {
  const cfg = journeyConfigFromEnv();
  const services = ['8080', '8081', '8082', '8083', '8084', '8085'].map(
    (p) => `http://127.0.0.1:${p}/health/ready`,
  );
  if (!(await ready(`${cfg.gatewayUrl}/health/ready`))) {
    startedHere = true;
    const code = await trellis('start');
    if (code !== 0) throw new Error(`tools/trellis.sh start exited ${code}`);
  }
  const deadline = Date.now() + 120_000;
  while (!(await Promise.all(services.map(ready))).every(Boolean)) {
    if (Date.now() > deadline) throw new Error('the platform did not become ready');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const t0 = Date.now();
  const log = (line: string) => lines.push(line);
  result = await runJourney(cfg, {
    step: (t) => log(`STEP ${t}`),
    sent: (w) => log(`  -> ${w}`),
    received: (w) => log(`  <- ${w}`),
    note: (t) => log(`  . ${t}`),
  });
  log(`journey took ${Date.now() - t0} ms`);
});

afterAll(async () => {
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  if (startedHere) await trellis('stop');
});

describe('the national journey', () => {
  it('refuses a likely duplicate, then registers the new patient', () => {
    expect(result.duplicateStatus).toBe(409);
    expect(result.duplicateCandidates).toContain(result.existingNhsNumber);
    expect(result.nhsNumber).toMatch(/^\d{10}$/);
    expect(result.nhsNumber).not.toBe(result.existingNhsNumber);
  });

  it('gets the urgent referral to the hospital worklist, accepted and booked', () => {
    expect(result.worklistContainsReferral).toBe(true);
    expect(result.acceptedStatus).toBe(200);
    expect(result.freeSlots).toBeGreaterThan(0);
    expect([200, 201]).toContain(result.bookStatus);
    expect(result.referralStatusAfterBooking).toBe('booked');
  });

  it('shows the abnormal result in the safety net until the GP acknowledges it', () => {
    expect(result.safetyNetBefore).toBe(true);
    expect(result.acknowledgeStatus).toBe(200);
    expect(result.safetyNetAfter).toBe(false);
  });

  it('cancels future appointments when the patient dies', () => {
    expect(result.appointmentStatusAfterDeath).toBe('cancelled');
  });

  it("puts every step on the home region's stream, in order, in full", () => {
    expect(result.home.code).toBe(0);
    const types = result.home.events.map((e) => shortType(e.type));
    const milestones = [
      'PatientRegistered',
      'ReferralSent',
      'ReferralAccepted',
      'AppointmentBooked',
      'ResultAvailable',
      'ResultAcknowledged',
      'PatientDeceased',
      'AppointmentCancelled',
    ];
    const positions = milestones.map((m) => types.indexOf(m));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(types).toContain('ReferralBooked');
    // one patient = one key = one partition, offsets increasing
    expect(new Set(result.home.events.map((e) => e.partition)).size).toBe(1);
    const offsets = result.home.events.map((e) => BigInt(e.offset));
    expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
    expect(result.home.events.every((e) => e.payloadView === 'full')).toBe(true);
  });

  it("gives the hospital's region the cross-region events with the minimal payload only", () => {
    const types = result.provider.events.map((e) => shortType(e.type));
    expect(types).toEqual(expect.arrayContaining(['ReferralSent', 'AppointmentBooked']));
    expect(types).not.toContain('PatientRegistered');
    expect(result.provider.events.every((e) => e.payloadView === 'minimal')).toBe(true);
    const sentMinimal = result.provider.events.find((e) => shortType(e.type) === 'ReferralSent');
    expect(JSON.stringify(sentMinimal?.data)).not.toContain('Chest pain');
  });

  it('shows an uninvolved region nothing, and the broker refuses it the other topic', () => {
    expect(result.other.code).toBe(0);
    expect(result.other.events).toEqual([]);
    expect(result.otherOnHomeTopic.code).toBe(3);
    expect(result.otherOnHomeTopic.events).toEqual([]);
    expect(result.otherOnHomeTopic.stderr).toMatch(/authoriz/i);
  });

  it('assembles the whole story in $everything and audits who accessed the record', () => {
    const { gp, hospital } = result.everything;
    expect(gp.status).toBe(200);
    expect(hospital.status).toBe(200);
    expect(gp.resourceTypes['Patient']).toBe(1);
    expect(gp.issues).toEqual([]);
    expect(gp.resourceTypes['ServiceRequest']).toBeGreaterThanOrEqual(1);
    expect(gp.resourceTypes['DiagnosticReport']).toBeGreaterThanOrEqual(1);
    expect(hospital.resourceTypes['Appointment']).toBeGreaterThanOrEqual(1);
    expect(hospital.resourceTypes['ServiceRequest']).toBeGreaterThanOrEqual(1);
    const systems = new Set(result.audit.map((a) => a.systemId));
    expect(systems.has(result.gpClientId)).toBe(true);
    expect(systems.has('demo-hospital-thameside')).toBe(true);
    expect(systems.has('demo-lab-thameside-path')).toBe(true);
  });
});
