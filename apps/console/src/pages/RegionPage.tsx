import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';
import {
  Alert,
  Box,
  Card,
  Loader,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';
import { AuthorityClients } from './AuthorityClients';
import { resourcesOf, type Bundle } from '../model/fhir';
import { REGIONS } from '../model/regions';
import {
  regionListsOf,
  type ListRow,
  type RegionLists,
  type StreamHealth,
  type WaitingListReport,
} from '../model/waiting-lists';

const SERIES = [
  { name: 'waiting', label: 'Waiting', color: 'indigo.8' },
  { name: 'breached18Weeks', label: 'Over 18 weeks', color: 'orange.9' },
  { name: 'breachedTwoWeekWait', label: 'Two-week-wait breaches', color: 'red.9' },
];

/**
 * A region's waiting lists and RTT breaches, and its stream's subscribers: a regional authority
 * sees its own region; the national operator (trellis/admin acts in every region) picks one.
 */
export function RegionPage({ session }: { session: Session }): ReactNode {
  const national = session.role === 'operator';
  const [picked, setPicked] = useState('');
  const region = national ? picked : (session.region ?? '');
  const lists = useQuery({
    queryKey: ['waiting-lists', region],
    enabled: region !== '',
    queryFn: async () =>
      regionListsOf(
        resourcesOf(
          await api<Bundle<WaitingListReport>>(
            session,
            `/fhir/MeasureReport/$regional-waiting-lists?region=${encodeURIComponent(region)}`,
            { fhir: true },
          ),
          'MeasureReport',
        ),
      ),
  });
  const health = useQuery({
    queryKey: ['stream-health', region],
    enabled: region !== '',
    refetchInterval: 10_000,
    queryFn: () =>
      api<StreamHealth>(session, `/admin/v1/regions/${encodeURIComponent(region)}/stream-health`),
  });
  return (
    <Stack gap="md">
      <Title order={1}>{region ? `Region ${region}` : 'Regions'}</Title>
      {national && (
        <NativeSelect
          label="Region"
          description="The national operator may read every region's waiting lists and stream"
          value={picked}
          onChange={(e) => setPicked(e.currentTarget.value)}
          data={[{ value: '', label: 'Pick a region', disabled: true }, ...REGIONS]}
          maw={320}
          data-testid="region-select"
        />
      )}
      {!region && <Text>Pick a region to see its waiting lists and stream subscribers.</Text>}
      {region && <RegionFigures lists={lists} health={health} />}
      {region && <AuthorityClients key={region} session={session} region={region} />}
    </Stack>
  );
}

function RegionFigures(props: {
  lists: UseQueryResult<RegionLists>;
  health: UseQueryResult<StreamHealth>;
}): ReactNode {
  const { lists, health } = props;
  const l = lists.data;
  return (
    <>
      <Title order={2} size="h3">
        Waiting lists (referral to treatment)
      </Title>
      {lists.isPending && <Loader role="status" aria-label="Loading waiting lists" />}
      {lists.error && (
        <Alert color="red" role="alert">
          Waiting lists could not be loaded: {lists.error.message}
        </Alert>
      )}
      {l && (
        <SimpleGrid cols={{ base: 1, sm: 3 }} data-testid="region-total">
          <Figure label="Open pathways" value={l.total.waiting} testId="total-waiting" />
          <Figure label="Waiting over 18 weeks" value={l.total.breached18Weeks} />
          <Figure label="Two-week-wait breaches" value={l.total.breachedTwoWeekWait} />
        </SimpleGrid>
      )}
      {l && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Lists
            title="By provider"
            column="Provider (ODS)"
            rows={l.providers}
            testId="providers"
          />
          <Lists
            title="By specialty"
            column="Specialty"
            rows={l.specialties}
            testId="specialties"
          />
        </SimpleGrid>
      )}
      <Title order={2} size="h3">
        Stream subscribers
      </Title>
      {health.isPending && <Loader role="status" aria-label="Loading stream health" />}
      {health.error && (
        <Alert color="red" role="alert">
          Stream health could not be loaded: {health.error.message}
        </Alert>
      )}
      {health.data && (
        <Card withBorder data-testid="stream-health">
          <Text size="sm" mb="sm">
            Topic <code>{health.data.topic}</code>: {health.data.totalLag} events not yet read in
            total, as of {health.data.asOf.replace('T', ' ').slice(0, 19)}.
          </Text>
          {health.data.subscribers.length === 0 ? (
            <Text size="sm">No subscriber has read the region&apos;s stream yet.</Text>
          ) : (
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Subscriber (consumer group)</Table.Th>
                  <Table.Th>Lag (events)</Table.Th>
                  <Table.Th>Partitions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {health.data.subscribers.map((s) => (
                  <Table.Tr key={s.groupId} data-group={s.groupId}>
                    <Table.Td>
                      <code>{s.groupId}</code>
                    </Table.Td>
                    <Table.Td>{s.lag}</Table.Td>
                    <Table.Td>
                      {s.partitions
                        .map((p) => `#${p.partition}: ${p.committed}/${p.highWatermark}`)
                        .join(', ')}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      )}
    </>
  );
}

function Figure(props: { label: string; value: number; testId?: string }): ReactNode {
  return (
    <Card withBorder>
      <Text size="sm">{props.label}</Text>
      <Text size="xl" fw={700} data-testid={props.testId}>
        {props.value}
      </Text>
    </Card>
  );
}

function Lists(props: { title: string; column: string; rows: ListRow[]; testId: string }) {
  const top = props.rows.slice(0, 15);
  const id = `chart-${props.testId}`;
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm" id={id}>
        {props.title}
      </Title>
      {top.length === 0 ? (
        <Text size="sm">No open pathways.</Text>
      ) : (
        <>
          <Box component="figure" m={0} aria-labelledby={id} aria-describedby={`${id}-table`}>
            <BarChart h={240} data={top} dataKey="key" series={SERIES} withLegend />
          </Box>
          <Table mt="sm" id={`${id}-table`} data-testid={props.testId}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{props.column}</Table.Th>
                <Table.Th>Waiting</Table.Th>
                <Table.Th>Over 18 weeks</Table.Th>
                <Table.Th>Two-week-wait breaches</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {props.rows.map((r) => (
                <Table.Tr key={r.key} data-row={r.key}>
                  <Table.Td>{r.key}</Table.Td>
                  <Table.Td>{r.waiting}</Table.Td>
                  <Table.Td>{r.breached18Weeks}</Table.Td>
                  <Table.Td>{r.breachedTwoWeekWait}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Card>
  );
}
