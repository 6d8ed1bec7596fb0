import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type StaffRole } from './app/citizens/staff-tokens';

/** A demo professional: an account at the local provider and the connected system they act as. */
export interface DemoStaffMember {
  sub: string;
  role: StaffRole;
  systemId: string;
  email: string;
  password: string;
  givenName: string;
  familyName: string;
}

const DEMO_STAFF: ReadonlyArray<Omit<DemoStaffMember, 'password'>> = [
  {
    sub: 'staff-operator-1',
    role: 'operator',
    systemId: 'demo-operator-console',
    email: 'operator@trellis.example',
    givenName: 'Olu',
    familyName: 'Operator',
  },
  {
    sub: 'staff-region-north-east-1',
    role: 'regional',
    // the north-east's regional digital authority (issue 18): region/north-east/* scopes
    systemId: 'demo-authority-north-east',
    email: 'regional.north-east@trellis.example',
    givenName: 'Rowan',
    familyName: 'Regional',
  },
  {
    sub: 'staff-supplier-northgate-1',
    role: 'supplier',
    systemId: 'demo-supplier-northgate',
    email: 'integration@northgate.example',
    givenName: 'Sam',
    familyName: 'Supplier',
  },
];

/**
 * `.trellis/demo/staff.json` (mode 0600, git-ignored): the console's demo operator, regional and
 * supplier users. The local OpenID provider signs them in (email + password); the gateway reads
 * only `sub`, `role` and `systemId` (STAFF_DIRECTORY_FILE) to bind a session to its system.
 * Passwords are kept across seeds.
 */
export function writeDemoStaff(demoDir: string): DemoStaffMember[] {
  const file = join(demoDir, 'staff.json');
  const previous = new Map<string, string>();
  if (existsSync(file))
    for (const m of JSON.parse(readFileSync(file, 'utf8')) as DemoStaffMember[])
      previous.set(m.sub, m.password);
  const staff = DEMO_STAFF.map((m) => ({
    ...m,
    password: previous.get(m.sub) ?? randomBytes(12).toString('base64url'),
  }));
  writeFileSync(file, `${JSON.stringify(staff, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return staff;
}
