/**
 * The national journey end to end against the platform started by the README's start command
 * (`bash tools/trellis.sh start`): when nothing answers on the gateway, this suite starts it
 * (detached), waits for readiness, and stops it afterwards (Kafka is left running for the other
 * suites). Everything goes over real HTTP, gRPC, PostgreSQL and Kafka; the regional streams are
 * read by tools/regional/consumer.ts with the authorities' own SCRAM credentials.
 *
 * The journey runs as the very program `npm run demo` runs (tools/demo/journey.ts, a child
 * process), which writes what it saw to a JSON summary; this suite asserts on that summary.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

// libpq variables loaded by the jest setup (PGUSER, ...) would redirect the setup scripts' own
// psql calls (they connect as the postgres superuser): children start without them.
const childEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG'))),
  TRELLIS_START_DETACH: '1',
  TRELLIS_KEEP_KAFKA: '1',
  SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
});

function run(
  cmd: string,
  args: string[],
  capture: boolean,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: childEnv(),
      stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('close', (code) => done({ code, output }));
  });
}

const trellis = async (cmd: 'start' | 'stop') =>
  (await run('bash', [join(ROOT, 'tools/trellis.sh'), cmd], false)).code;

interface RegionalEvent {
  offset: string;
  partition: number;
  type: string;
  payloadView?: string;
  data?: unknown;
}
interface ConsumerRun {
  code: number | null;
  events: RegionalEvent[];
  stderr: string;
}
interface EverythingSummary {
  status: number;
  resourceTypes: Record<string, number>;
  issues: string[];
}
/** The JSON summary tools/demo/journey.ts writes (--json-summary). */
interface JourneyResult {
  gpClientId: string;
  existingNhsNumber: string;
  duplicateStatus: number;
  duplicateCandidates: string[];
  nhsNumber: string;
  worklistContainsReferral: boolean;
  acceptedStatus: number;
  freeSlots: number;
  bookStatus: number;
  referralStatusAfterBooking: string;
  safetyNetBefore: boolean;
  acknowledgeStatus: number;
  safetyNetAfter: boolean;
  appointmentStatusAfterDeath: string;
  referralStatusAfterDeath: string;
  home: ConsumerRun;
  provider: ConsumerRun;
  other: ConsumerRun;
  otherOnHomeTopic: ConsumerRun;
  everything: { gp: EverythingSummary; hospital: EverythingSummary };
  regionalDelayMs: { median: number; max: number };
  audit: Array<{ systemId: string }>;
}

const shortType = (t: string) =>
  t.replace(/^uk\.nhs\.trellis\.[a-z]+\./, '').replace(/\.v\d+$/, '');

let startedHere = false;
let result: JourneyResult;
let output = '';

beforeAll(async () => {
  const gatewayUrl = (process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const services = ['8080', '8081', '8082', '8083', '8084', '8085'].map(
    (p) => `http://127.0.0.1:${p}/health/ready`,
  );
  if (!(await ready(`${gatewayUrl}/health/ready`))) {
    startedHere = true;
    const code = await trellis('start');
    if (code !== 0) throw new Error(`tools/trellis.sh start exited ${code}`);
  }
  const deadline = Date.now() + 120_000;
  while (!(await Promise.all(services.map(ready))).every(Boolean)) {
    if (Date.now() > deadline) throw new Error('the platform did not become ready');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const dir = mkdtempSync(join(tmpdir(), 'trellis-journey-'));
  try {
    const t0 = Date.now();
    const summary = join(dir, 'summary.json');
    const demo = await run(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'tools/demo/journey.ts'), '--json-summary', summary],
      true,
    );
    output = `${demo.output}\njourney took ${Date.now() - t0} ms\n`;
    if (demo.code !== 0) throw new Error(`the journey failed (exit ${demo.code}):\n${demo.output}`);
    result = JSON.parse(readFileSync(summary, 'utf8')) as JourneyResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

afterAll(async () => {
  if (output) process.stdout.write(output);
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

  it('cancels future appointments and open referrals when the patient dies', () => {
    expect(result.appointmentStatusAfterDeath).toBe('cancelled');
    expect(result.referralStatusAfterDeath).toBe('cancelled');
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
    // the router keeps up: a domain event is on the regional stream within seconds
    expect(result.regionalDelayMs.max).toBeGreaterThanOrEqual(0);
    expect(result.regionalDelayMs.max).toBeLessThan(10_000);
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
    // the registered GP practice sees the hospital's appointment too (docs/appointments.md)
    expect(gp.resourceTypes['Appointment']).toBeGreaterThanOrEqual(1);
    expect(hospital.resourceTypes['Appointment']).toBeGreaterThanOrEqual(1);
    expect(hospital.resourceTypes['ServiceRequest']).toBeGreaterThanOrEqual(1);
    const systems = new Set(result.audit.map((a) => a.systemId));
    expect(systems.has(result.gpClientId)).toBe(true);
    expect(systems.has('demo-hospital-thameside')).toBe(true);
    expect(systems.has('demo-lab-thameside-path')).toBe(true);
  });
});
