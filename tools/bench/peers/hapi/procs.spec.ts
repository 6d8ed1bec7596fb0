import { spawn } from 'node:child_process';

import { GroupCpuTracker } from './procs';

/** Spends `ms` of this process's CPU (not wall time: the machine may be shared). */
const burn = (ms: number): void => {
  const start = process.cpuUsage();
  while (true) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
};
/** A node child that spends 300 ms of its own CPU, then exits. */
const BURN_300_MS =
  'const s = process.cpuUsage(); while (true) { const u = process.cpuUsage(s); if (u.user + u.system >= 300000) break; }';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('GroupCpuTracker', () => {
  it('counts a process started inside the window from 0', async () => {
    const members: number[] = [];
    const tracker = new GroupCpuTracker(() => ({ late: members }), 20);
    tracker.start();
    const child = spawn(process.execPath, [
      '-e',
      `${BURN_300_MS}; console.log('done'); setInterval(() => {}, 1000);`,
    ]);
    members.push(child.pid!);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const cpu = tracker.stop();
    child.kill();
    expect(tracker.startedInside).toEqual({ late: 1 });
    // the 300 ms loop and node's start-up, all inside the window
    expect(cpu['late']).toBeGreaterThanOrEqual(250);
  });

  it("counts a process that was running before the window from the window's start only", async () => {
    const tracker = new GroupCpuTracker(() => ({ self: [process.pid] }), 20);
    burn(300); // before the window: not counted
    tracker.start();
    burn(200);
    await sleep(30);
    const cpu = tracker.stop();
    expect(tracker.startedInside).toEqual({});
    expect(cpu['self']).toBeGreaterThanOrEqual(180); // 10 ms ticks
    expect(cpu['self']).toBeLessThan(450); // the 300 ms before the window would make it 500
    expect(tracker.ownCpuMs).toBeGreaterThan(0);
  });
});
