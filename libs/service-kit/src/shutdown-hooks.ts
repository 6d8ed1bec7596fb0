// Ordered shutdown hooks run after the gRPC/HTTP servers stopped accepting and drained:
// e.g. order 100 flush outbox relay, 200 close consumers/producers, 300 disconnect Prisma.
import { Injectable } from '@nestjs/common';

export const ShutdownOrder = {
  /** Stop pollers/relays and flush what is in flight (outbox relay). */
  FLUSH: 100,
  /** Close Kafka consumers and producers. */
  MESSAGING: 200,
  /** Disconnect databases (Prisma). */
  DATABASE: 300,
  /** Anything that must be last. */
  LAST: 1000,
} as const;

export interface ShutdownHookResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

interface Hook {
  name: string;
  order: number;
  seq: number;
  fn: () => Promise<unknown> | unknown;
}

@Injectable()
export class ShutdownHooks {
  private readonly hooks: Hook[] = [];
  private seq = 0;

  /** Hooks run in ascending `order` (ties: registration order), one at a time. */
  register(
    name: string,
    fn: () => Promise<unknown> | unknown,
    order: number = ShutdownOrder.LAST,
  ): void {
    this.hooks.push({ name, order, seq: this.seq++, fn });
  }

  list(): { name: string; order: number }[] {
    return this.sorted().map(({ name, order }) => ({ name, order }));
  }

  /** Runs every hook within the deadline (epoch ms); a failing or late hook never stops the rest. */
  async runAll(deadline: number): Promise<ShutdownHookResult[]> {
    const results: ShutdownHookResult[] = [];
    for (const hook of this.sorted()) {
      const start = Date.now();
      const remaining = Math.max(0, deadline - start);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => hook.fn()),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('shutdown deadline exceeded')), remaining);
          }),
        ]);
        results.push({ name: hook.name, ok: true, durationMs: Date.now() - start });
      } catch (e) {
        results.push({
          name: hook.name,
          ok: false,
          durationMs: Date.now() - start,
          error: e instanceof Error ? e.message : String(e),
        });
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
    return results;
  }

  private sorted(): Hook[] {
    return [...this.hooks].sort((a, b) => a.order - b.order || a.seq - b.seq);
  }
}
