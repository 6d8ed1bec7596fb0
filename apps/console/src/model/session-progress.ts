import { api } from '../api';
import type { Session } from '../auth';

/** `GET /admin/v1/conformance-sessions/{id}/progress`: the scenarios as they stand. */
export interface SessionProgress {
  session: { id: string; status: string; result: string | null };
  inFlight: number;
  evaluatedAt: string;
  scenarios: ScenarioProgress[];
}

export interface ScenarioProgress {
  id: string;
  title: string;
  /** waiting: no request yet; passing / failing: every assertion met so far, or not. */
  state: 'waiting' | 'passing' | 'failing';
  requests: number;
  assertions: Array<{
    id: string;
    rule: string;
    description: string;
    pass: boolean;
    message: string;
    evidence: string | null;
  }>;
}

export const sessionProgress = (session: Session, id: string): Promise<SessionProgress> =>
  api<SessionProgress>(
    session,
    `/admin/v1/conformance-sessions/${encodeURIComponent(id)}/progress`,
  );

/** What the live badge says (Finish, not the live view, decides pass or fail). */
export const LIVE_LABEL: Readonly<Record<ScenarioProgress['state'], string>> = {
  waiting: 'waiting',
  passing: 'passing so far',
  failing: 'not met yet',
};
