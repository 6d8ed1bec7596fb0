import { Text } from '@mantine/core';
import type { ReactNode } from 'react';

import { percent } from '../model/scorecard';
import { standingOf, type Standing, type SystemScorecard } from '../model/system-rates';
import { DARK, GREEN, ORANGE, RED } from './colours';

const STANDING: Record<Exclude<Standing, 'unknown'>, { label: string; colour: string }> = {
  compliant: { label: 'version: compliant', colour: GREEN },
  warned: { label: 'version: warned', colour: ORANGE },
  enforced: { label: 'version: writes withdrawn', colour: RED },
  overridden: { label: 'version: operator override', colour: DARK },
};

/** One system's own conformance over the last 24 hours and its product version's standing. */
export function SystemRate(props: {
  enabled: boolean;
  card: SystemScorecard | undefined;
  loading: boolean;
  failed: boolean;
}): ReactNode {
  const { enabled, card, loading, failed } = props;
  if (!enabled) return <Text size="sm">—</Text>;
  if (loading)
    return (
      <Text size="xs" data-testid="system-rate">
        loading…
      </Text>
    );
  if (failed || !card)
    return (
      <Text size="xs" data-testid="system-rate">
        {failed ? 'unavailable' : 'no card yet'}
      </Text>
    );
  const standing = standingOf(card);
  return (
    <>
      <Text size="sm" fw={600} data-testid="system-rate" data-rate={card.conformanceRate ?? ''}>
        {card.conformanceRate === null ? 'nothing judged' : percent(card.conformanceRate)}
      </Text>
      <Text size="xs">
        {card.judged} judged, {card.refused} refused
      </Text>
      {standing !== 'unknown' && (
        <Text size="xs" fw={700} c={STANDING[standing].colour} data-testid="standing">
          {STANDING[standing].label}
        </Text>
      )}
    </>
  );
}
