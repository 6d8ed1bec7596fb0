import type { ScenarioProgressJson, SessionProgressJson } from '@trellis/contracts';

import { api } from '../api';
import type { Session } from '../auth';

/** `GET /admin/v1/conformance-sessions/{id}/progress`: the scenarios as they stand. */
export type SessionProgress = SessionProgressJson;
export type ScenarioProgress = ScenarioProgressJson;

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
