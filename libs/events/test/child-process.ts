// Runs a TypeScript child (children/*.ts) with swc-node, collecting its stdout lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

export interface Child {
  process: ChildProcess;
  lines: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function startChild(script: string, env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'children', script)],
    {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    for (const l of listeners) l();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    process: child,
    lines,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolvePromise, reject) => {
        const check = (): boolean => {
          for (const line of lines) {
            const m = pattern.exec(line);
            if (m) {
              cleanup();
              resolvePromise(m);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `child ${script} printed no ${pattern} within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(
              new Error(
                `child ${script} exited before ${pattern}; stderr:\n${stderr.slice(-2000)}`,
              ),
            );
          }
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
        };
        const listener = (): void => void check();
        if (check()) return;
        listeners.add(listener);
        child.once('exit', onExit);
      });
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
