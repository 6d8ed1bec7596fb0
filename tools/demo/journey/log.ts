// Output: one block per step, what was sent and what came back.

export interface JourneyLog {
  step(title: string): void;
  sent(what: string, body?: unknown): void;
  received(what: string, body?: unknown): void;
  note(text: string): void;
}

const MAX_BODY = 700;

export const compact = (body: unknown): string => {
  if (body === undefined) return '';
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  return s.length > MAX_BODY ? `${s.slice(0, MAX_BODY)}… (${s.length} chars)` : s;
};

export function consoleLog(write: (line: string) => void = (l) => console.log(l)): JourneyLog {
  let n = 0;
  return {
    step: (title) => write(`\n━━ Step ${++n}. ${title}`),
    sent: (what, body) =>
      write(`  → ${what}${body === undefined ? '' : `\n      ${compact(body)}`}`),
    received: (what, body) =>
      write(`  ← ${what}${body === undefined ? '' : `\n      ${compact(body)}`}`),
    note: (text) => write(`  · ${text}`),
  };
}
