import '@mantine/charts/styles.css';

import { LineChart } from '@mantine/charts';
import {
  Alert,
  Badge,
  Box,
  Button,
  Card,
  Group,
  Loader,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';
import { resourcesOf, type Bundle } from '../model/fhir';
import {
  bucketsOf,
  percent,
  POLICIES,
  scorecardOf,
  subjectParam,
  type MeasureReport,
  type Range,
  type Scorecard,
  type Subject,
} from '../model/scorecard';
import { allSystems, systemsKey } from '../model/systems';
import { ComplianceHistory } from './ComplianceHistory';

// AA contrast (≥ 4.5:1 with white) for badge text and chart lines
const STATE_COLOUR: Record<string, string> = {
  compliant: '#1b5e20',
  warned: '#8a3b00',
  enforced: '#b71c1c',
};

async function card(session: Session, s: Subject, start: Date, end: Date) {
  const q = new URLSearchParams({ subject: subjectParam(s) });
  q.append('period', `ge${start.toISOString()}`);
  q.append('period', `lt${end.toISOString()}`);
  const b = await api<Bundle<MeasureReport>>(session, `/fhir/MeasureReport?${q.toString()}`, {
    fhir: true,
  });
  const [report] = resourcesOf(b, 'MeasureReport');
  return report ? scorecardOf(report) : undefined;
}

const label = (d: Date, range: Range): string =>
  range === '24h'
    ? d.toISOString().slice(11, 16)
    : d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/**
 * Which subjects the user may read: the operator any, a regional authority its region's systems
 * (from its registry view), a supplier its system and its version.
 */
function useSubjects(session: Session, kind: Subject['kind']): string[] {
  const client = useQueryClient();
  const operator = session.role !== 'supplier';
  const key = systemsKey(session);
  const systems = useQuery({
    queryKey: key,
    enabled: operator,
    queryFn: () => allSystems(session, (soFar) => client.setQueryData(key, soFar)),
  });
  return useMemo(() => {
    if (!operator)
      return [kind === 'system' ? session.system : session.productVersion].filter(
        (x): x is string => !!x,
      );
    const all = systems.data ?? [];
    return kind === 'system'
      ? all.map((s) => s.id)
      : [...new Set(all.map((s) => s.productVersionId))].sort();
  }, [operator, kind, session.system, session.productVersion, systems.data]);
}

/** Conformance per system or product version: rate over time, failing rules, behaviours, policy. */
export function ScorecardsPage({ session }: { session: Session }): ReactNode {
  const [kind, setKind] = useState<Subject['kind']>('system');
  const [range, setRange] = useState<Range>('24h');
  const [picked, setPicked] = useState<string | null>(null);
  const subjects = useSubjects(session, kind);
  const id = picked && subjects.includes(picked) ? picked : (subjects[0] ?? null);
  const subject: Subject | undefined = id ? { kind, id } : undefined;
  const [now, setNow] = useState(() => Date.now());
  const buckets = useMemo(() => bucketsOf(range, new Date(now)), [range, now]);
  const first = buckets[0]!;
  const last = buckets[buckets.length - 1]!;

  const summary = useQuery({
    queryKey: ['scorecard', subject, first.start.getTime(), last.end.getTime(), now],
    enabled: subject !== undefined,
    queryFn: () => card(session, subject!, first.start, last.end),
  });
  const series = useQuery({
    queryKey: ['scorecard-series', subject, range, first.start.getTime(), now],
    enabled: subject !== undefined,
    queryFn: () => Promise.all(buckets.map((b) => card(session, subject!, b.start, b.end))),
  });
  const points = (series.data ?? []).map((c, i) => ({
    period: label(buckets[i]!.start, range),
    rate: c?.rate === undefined ? null : Math.round(c.rate * 1000) / 10,
    requests: c?.requests ?? 0,
  }));
  const sc = summary.data;
  const policy = sc ? POLICIES[sc.policyVersion] : undefined;

  return (
    <Stack gap="md">
      <Title order={1}>Scorecards</Title>
      <Group align="end" wrap="wrap">
        <Stack gap={4}>
          <Text size="sm" fw={500} id="subject-kind">
            Scorecard of
          </Text>
          <SegmentedControl
            aria-labelledby="subject-kind"
            value={kind}
            // a region's authority reads its systems' cards, not product versions'
            disabled={session.role === 'regional'}
            onChange={(v) => {
              setKind(v as Subject['kind']);
              setPicked(null);
            }}
            data={[
              { value: 'system', label: 'System' },
              { value: 'product-version', label: 'Product version' },
            ]}
          />
        </Stack>
        <Select
          label={kind === 'system' ? 'System' : 'Product version'}
          data={subjects}
          value={id}
          onChange={setPicked}
          searchable
          placeholder="Pick one"
          limit={50}
          nothingFoundMessage="None"
          w={320}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="range">
            Period
          </Text>
          <SegmentedControl
            aria-labelledby="range"
            value={range}
            onChange={(v) => setRange(v as Range)}
            data={[
              { value: '24h', label: '24 hours' },
              { value: '7d', label: '7 days' },
              { value: '30d', label: '30 days' },
            ]}
          />
        </Stack>
        <Button
          variant="default"
          onClick={() => setNow(Date.now())}
          loading={summary.isFetching || series.isFetching}
        >
          Refresh
        </Button>
      </Group>
      {!subject && <Text>No system or product version to show.</Text>}
      {(summary.isPending || series.isPending) && subject && (
        <Loader role="status" aria-label="Loading scorecard" />
      )}
      {(summary.error ?? series.error) && (
        <Alert color="red" role="alert">
          The scorecard could not be loaded: {(summary.error ?? series.error)?.message}
        </Alert>
      )}
      {summary.isSuccess && !sc && (
        <Text data-testid="no-traffic">No traffic from {id} in this period.</Text>
      )}
      {sc && <Summary sc={sc} />}
      {subject?.kind === 'product-version' && (
        <ComplianceHistory session={session} productVersion={subject.id} refreshedAt={now} />
      )}
      {series.data && (
        <Card withBorder>
          <Title order={2} size="h4" mb="sm" id="rate-chart">
            Conformance rate over time
          </Title>
          <Box component="figure" m={0} aria-labelledby="rate-chart" aria-describedby="rate-table">
            <LineChart
              h={260}
              data={points}
              dataKey="period"
              series={[{ name: 'rate', label: 'Conformance rate', color: 'indigo.8' }]}
              connectNulls
              unit=" %"
              yAxisProps={{ domain: [0, 100] }}
              referenceLines={
                policy
                  ? [
                      {
                        y: 100 - policy.warnAbove * 100,
                        label: `warning: ${percent(policy.warnAbove, 0)} refused by error rules`,
                        color: 'orange.9',
                      },
                      {
                        y: 100 - policy.enforceAbove * 100,
                        label: `enforcement: ${percent(policy.enforceAbove, 0)}`,
                        color: 'red.9',
                      },
                    ]
                  : []
              }
            />
          </Box>
          <Text size="xs" mt="xs">
            {policy
              ? `Thresholds of ${sc?.policyVersion ?? ''}: a warning when more than ${percent(policy.warnAbove, 0)} of at least ${policy.minRequests} judged requests in ${policy.windowMinutes} minutes break error rules, enforcement above ${percent(policy.enforceAbove, 0)} after the grace period.`
              : 'The policy in force is not one this console knows the thresholds of.'}
          </Text>
          <VisuallyHidden>
            <table id="rate-table">
              <caption>Conformance rate per period</caption>
              <tbody>
                {points.map((p) => (
                  <tr key={p.period}>
                    <th scope="row">{p.period}</th>
                    <td>{p.rate === null ? 'no judged requests' : `${p.rate} %`}</td>
                    <td>{p.requests} requests</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </VisuallyHidden>
        </Card>
      )}
      {sc && <Details sc={sc} />}
    </Stack>
  );
}

function Summary({ sc }: { sc: Scorecard }): ReactNode {
  const trend =
    sc.rate !== undefined && sc.previousRate !== undefined ? sc.rate - sc.previousRate : undefined;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} data-testid="scorecard-summary">
      <Card withBorder>
        <Text size="sm">Conformance rate</Text>
        <Text size="xl" fw={700} data-testid="rate">
          {percent(sc.rate)}
        </Text>
        <Text size="xs">
          previous period {percent(sc.previousRate)}
          {trend !== undefined
            ? ` (${trend >= 0 ? '+' : ''}${(trend * 100).toFixed(1)} points)`
            : ''}
        </Text>
      </Card>
      <Card withBorder>
        <Text size="sm">Requests</Text>
        <Text size="xl" fw={700} data-testid="requests">
          {sc.requests}
        </Text>
        <Text size="xs">
          {sc.accepted} accepted of {sc.judged} judged
        </Text>
      </Card>
      <Card withBorder>
        <Text size="sm">Compliance</Text>
        {sc.compliance ? (
          <Badge
            variant="filled"
            color={STATE_COLOUR[sc.compliance] ?? '#343a40'}
            data-testid="compliance"
          >
            {sc.compliance}
          </Badge>
        ) : (
          <Text size="sm">judged per product version</Text>
        )}
        <Text size="xs">policy {sc.policyVersion || 'unknown'}</Text>
      </Card>
      <Card withBorder>
        <Text size="sm">Warnings and enforcement</Text>
        <History sc={sc} />
      </Card>
    </SimpleGrid>
  );
}

function History({ sc }: { sc: Scorecard }): ReactNode {
  const when = (t: string) => t.replace('T', ' ').slice(0, 16);
  const lines = [
    sc.warnedAt && `Warned ${when(sc.warnedAt)}`,
    sc.enforcedAt && `Writes withdrawn ${when(sc.enforcedAt)}`,
    sc.overrideUntil &&
      `Operator override until ${when(sc.overrideUntil)}${sc.overrideBy ? ` by ${sc.overrideBy}` : ''}${sc.overrideReason ? `: ${sc.overrideReason}` : ''}`,
  ].filter((l): l is string => !!l);
  if (lines.length === 0)
    return <Text size="xs">{sc.compliance ? 'None in force' : 'Shown for product versions'}</Text>;
  return (
    <Stack gap={2} data-testid="history">
      {lines.map((l) => (
        <Text size="xs" key={l}>
          {l}
        </Text>
      ))}
    </Stack>
  );
}

function Details({ sc }: { sc: Scorecard }): ReactNode {
  return (
    <>
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          Top failing rules
        </Title>
        {sc.rules.length === 0 ? (
          <Text size="sm">No rule was broken in this period.</Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table striped data-testid="rules">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Rule</Table.Th>
                  <Table.Th>Severity</Table.Th>
                  <Table.Th>Refused requests</Table.Th>
                  <Table.Th>Previous period</Table.Th>
                  <Table.Th>Example element</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sc.rules.map((r) => (
                  <Table.Tr key={r.rule}>
                    <Table.Td>
                      <code>{r.rule}</code>
                    </Table.Td>
                    <Table.Td>{r.severity}</Table.Td>
                    <Table.Td>
                      {r.requests} ({r.issues} issues)
                    </Table.Td>
                    <Table.Td>{r.previous}</Table.Td>
                    <Table.Td>
                      <code>{r.example || '—'}</code>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Counts title="Behaviours" rows={sc.behaviours} testId="behaviours" previous />
        <Counts title="Refusals by status" rows={sc.refusals} testId="refusals" />
      </SimpleGrid>
    </>
  );
}

function Counts(props: {
  title: string;
  rows: Scorecard['behaviours'];
  testId: string;
  previous?: boolean;
}): ReactNode {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {props.title}
      </Title>
      {props.rows.length === 0 ? (
        <Text size="sm">None in this period.</Text>
      ) : (
        <Table data-testid={props.testId}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{props.previous ? 'Behaviour' : 'Status'}</Table.Th>
              <Table.Th>Count</Table.Th>
              {props.previous && <Table.Th>Previous period</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {props.rows.map((r) => (
              <Table.Tr key={r.name}>
                <Table.Td>{r.name}</Table.Td>
                <Table.Td>{r.count}</Table.Td>
                {props.previous && <Table.Td>{r.previous ?? 0}</Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
