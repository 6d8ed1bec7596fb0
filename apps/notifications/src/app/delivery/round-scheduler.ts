/**
 * Runs the delivery rounds: one at a time, each `pollMs` after the previous one ended, and at once
 * when woken (something was recorded). A wake during a round runs one more round right after it,
 * so an event committed while the round was claiming is not left for the next poll. The poll is
 * the fallback: a lost wake-up (or no listener at all) only delays a delivery by `pollMs`.
 */
export class RoundScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private again = false;

  constructor(
    private readonly round: () => Promise<unknown>,
    private readonly pollMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.tick();
  }

  /** Something is due: run a round now (or right after the one running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    this.again = false;
    this.running = this.round()
      .then(() => undefined)
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) this.tick();
        else this.timer = setTimeout(this.tick, this.pollMs);
      });
  };
}
