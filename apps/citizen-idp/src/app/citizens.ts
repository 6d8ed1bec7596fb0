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

/** Looks citizens up by sub and checks passwords in constant time (scrypt of both sides). */
export class CitizenDirectory {
  private readonly bySub = new Map<string, Citizen>();
  private readonly byEmail = new Map<string, Citizen>();
  private readonly salt = randomBytes(16);

  constructor(citizens: readonly Citizen[]) {
    for (const c of citizens) {
      this.bySub.set(c.sub, c);
      this.byEmail.set(c.email.toLowerCase(), c);
    }
  }

  find(sub: string): Citizen | undefined {
    return this.bySub.get(sub);
  }

  /** The citizen when the email and password match, else undefined (same work either way). */
  authenticate(email: string, password: string): Citizen | undefined {
    const citizen = this.byEmail.get(email.trim().toLowerCase());
    const expected = scryptSync(citizen?.password ?? 'no such citizen', this.salt, 32);
    const given = scryptSync(password, this.salt, 32);
    return timingSafeEqual(expected, given) && citizen ? citizen : undefined;
  }
}
