import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CitizenDirectory, loadCitizens } from './citizens';

describe('demo citizens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citizens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are made from the seeded patients once, with private random passwords', () => {
    const patients = join(dir, 'patients.json');
    const file = join(dir, 'citizens.json');
    writeFileSync(
      patients,
      JSON.stringify([
        {
          nhsNumber: '9990000018',
          givenName: 'Ann',
          familyName: 'Lee-Smith',
          birthDate: '1970-01-02',
        },
      ]),
    );
    const [ann] = loadCitizens(file, patients);
    expect(ann).toMatchObject({
      nhsNumber: '9990000018',
      email: 'ann.leesmith0@citizen.example',
      sub: 'demo-9990000018',
    });
    expect(ann!.password.length).toBeGreaterThanOrEqual(16);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // kept across restarts: the same password
    expect(loadCitizens(file, patients)[0]!.password).toBe(ann!.password);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
  });

  it('nobody before the identity seed has run', () => {
    expect(loadCitizens(join(dir, 'c.json'), join(dir, 'missing.json'))).toEqual([]);
  });

  it('sign in only with the right email and password', () => {
    const directory = new CitizenDirectory([
      {
        sub: 'demo-9990000018',
        email: 'ann@citizen.example',
        password: 'correct horse battery',
        nhsNumber: '9990000018',
        givenName: 'Ann',
        familyName: 'Lee',
        birthDate: '1970-01-02',
      },
    ]);
    expect(directory.authenticate('ANN@citizen.example ', 'correct horse battery')?.sub).toBe(
      'demo-9990000018',
    );
    expect(directory.authenticate('ann@citizen.example', 'wrong')).toBeUndefined();
    expect(directory.authenticate('bob@citizen.example', 'correct horse battery')).toBeUndefined();
    expect(directory.find('demo-9990000018')?.email).toBe('ann@citizen.example');
  });
});
