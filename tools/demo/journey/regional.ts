// The regional streams, read by tools/regional/consumer.ts as a regional authority would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './config';

export interface RegionalEvent {
  offset: string;
  partition: number;
  type: string;
  source?: string;
  payloadView?: string;
  time?: string;
  recordTime?: string;
  key: string | null;
  data?: unknown;
}

export interface ConsumerRun {
  code: number | null;
  events: RegionalEvent[];
  stderr: string;
}

/** Runs tools/regional/consumer.ts (plain @platformatic/kafka + .proto files) as the authority would. */
export function runRegionalConsumer(args: string[], timeoutMs = 60_000): Promise<ConsumerRun> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'tools/regional/consumer.ts'), '--json', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const evs = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as RegionalEvent);
      resolvePromise({
        code,
        events: evs,
        stderr: err
          .split('\n')
          .filter((l) => l && !/TimeoutNegativeWarning|Timeout duration|trace-warnings/.test(l))
          .join('\n'),
      });
    });
  });
}
