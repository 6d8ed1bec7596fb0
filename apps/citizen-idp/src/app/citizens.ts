import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { isValidNhsNumber } from '@trellis/nhs-number';
import { z } from 'zod';

/** A demo citizen: an account at the local provider, bound to one seeded patient. */
export interface Citizen {
  /** Stable subject at this provider (NHS login's `sub`). */
  sub: string;
  email: string;
  password: string;
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
}

const citizenSchema = z.object({
  sub: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  email: z.email(),
  password: z.string().min(8),
  nhsNumber: z.string().refine(isValidNhsNumber, 'not a valid NHS number'),
  givenName: z.string(),
  familyName: z.string(),
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

const patientSchema = z.object({
  nhsNumber: z.string(),
  givenName: z.string(),
  familyName: z.string(),
  birthDate: z.string(),
});

const slug = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '') || 'citizen';

/**
 * The citizens file: read when present; otherwise made from the seeded patients' file (one
 * citizen each, random passwords), written with mode 0600 next to the demo systems' keys.
 */
export function loadCitizens(citizensFile: string, patientsFile: string): Citizen[] {
  if (!existsSync(citizensFile)) {
    // nobody can sign in until the identity seed has run (npx nx run identity:seed; npm start does)
    if (!existsSync(patientsFile)) return [];
    const patients = z.array(patientSchema).parse(JSON.parse(readFileSync(patientsFile, 'utf8')));
    const citizens = patients.map((p, i) => ({
      sub: `demo-${p.nhsNumber}`,
      email: `${slug(p.givenName)}.${slug(p.familyName)}${i}@citizen.example`,
      password: randomBytes(12).toString('base64url'),
      nhsNumber: p.nhsNumber,
      givenName: p.givenName,
      familyName: p.familyName,
      birthDate: p.birthDate,
    }));
    mkdirSync(dirname(citizensFile), { recursive: true });
    writeFileSync(citizensFile, `${JSON.stringify(citizens, null, 2)}\n`, { mode: 0o600 });
    chmodSync(citizensFile, 0o600);
  }
  return z.array(citizenSchema).parse(JSON.parse(readFileSync(citizensFile, 'utf8')));
}

/**
 * A demo professional of the console (issue 20): operator, regional authority or supplier user.
 * Their ID token carries no NHS number; the gateway's staff directory binds their `sub` to the
 * connected system they act as. Written by the gateway seed (.trellis/demo/staff.json).
 */
export interface StaffAccount {
  sub: string;
  email: string;
  password: string;
  givenName: string;
  familyName: string;
  role: string;
}

const staffSchema = z.object({
  sub: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  email: z.email(),
  password: z.string().min(8),
  givenName: z.string(),
  familyName: z.string(),
  role: z.enum(['operator', 'regional', 'supplier']),
});

/** The staff file when present (the gateway seed writes it), else nobody. */
export function loadStaff(staffFile: string): StaffAccount[] {
  if (!existsSync(staffFile)) return [];
  return z.array(staffSchema).parse(JSON.parse(readFileSync(staffFile, 'utf8')));
}

export type Account = Citizen | StaffAccount;

export const isCitizen = (a: Account): a is Citizen => 'nhsNumber' in a;

/** Looks accounts up by sub and checks passwords in constant time (scrypt of both sides). */
export class CitizenDirectory {
  private readonly bySub = new Map<string, Account>();
  private readonly byEmail = new Map<string, Account>();
  private readonly salt = randomBytes(16);

  constructor(citizens: readonly Citizen[], staff: readonly StaffAccount[] = []) {
    for (const c of [...citizens, ...staff]) {
      this.bySub.set(c.sub, c);
      this.byEmail.set(c.email.toLowerCase(), c);
    }
  }

  find(sub: string): Account | undefined {
    return this.bySub.get(sub);
  }

  /** The account when the email and password match, else undefined (same work either way). */
  authenticate(email: string, password: string): Account | undefined {
    const citizen = this.byEmail.get(email.trim().toLowerCase());
    const expected = scryptSync(citizen?.password ?? 'no such citizen', this.salt, 32);
    const given = scryptSync(password, this.salt, 32);
    return timingSafeEqual(expected, given) && citizen ? citizen : undefined;
  }
}
