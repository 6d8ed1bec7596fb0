import {
  Alert,
  Badge,
  Button,
  Card,
  Loader,
  NativeSelect,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import type { Session } from '../auth';
import { enforcementHistory, eventLabel, type HistoryEntry } from '../model/enforcement';
import { REGIONS } from '../model/regions';
import { DARK, ORANGE, RED } from './colours';

const KIND: Record<HistoryEntry['kind'], { label: string; colour: string }> = {
  compliance: { label: 'compliance', colour: ORANGE },
  registry: { label: 'registry', colour: RED },
  lifecycle: { label: 'lifecycle', colour: DARK },
};

/**
 * A region's enforcement and lifecycle history, newest first, 20 a page: the compliance changes
 * of the product versions its systems deploy, their suspensions, reinstatements and write
 * withdrawals, and their lifecycle steps. An authority sees its own region; the operator picks.
 */
export function EnforcementPage({ session }: { session: Session }): ReactNode {
  const national = session.role === 'operator';
  const [picked, setPicked] = useState('');
  const region = national ? picked : (session.region ?? '');
  const history = useInfiniteQuery({
    queryKey: ['enforcement-history', region],
    enabled: region !== '',
    initialPageParam: '',
    getNextPageParam: (last: { nextPageToken: string }) => last.nextPageToken || undefined,
    queryFn: ({ pageParam }) => enforcementHistory(session, region, pageParam),
  });
  const rows = history.data?.pages.flatMap((p) => p.entries) ?? [];
  const withCompliance = history.data?.pages[0]?.complianceIncluded ?? true;
  return (
    <Stack gap="md">
      <Title order={1}>{region ? `Enforcement in ${region}` : 'Enforcement'}</Title>
      {national && (
        <NativeSelect
          label="Region"
          description="The national operator may read every region's enforcement history"
          value={picked}
          onChange={(e) => setPicked(e.currentTarget.value)}
          data={[{ value: '', label: 'Pick a region', disabled: true }, ...REGIONS]}
          maw={320}
        />
      )}
      {!region && <Text>Pick a region to see its enforcement history.</Text>}
      {region && (
        <Card withBorder>
          <Stack gap="sm">
            <Text size="sm">
              Suspensions, reinstatements, write withdrawals and lifecycle steps of the
              region&apos;s systems
              {withCompliance
                ? ', and the compliance changes of the product versions they deploy.'
                : ' (this session may not read scorecards: compliance changes are not shown).'}
            </Text>
            <Button
              variant="default"
              w="fit-content"
              onClick={() => void history.refetch()}
              loading={history.isRefetching && !history.isFetchingNextPage}
            >
              Refresh
            </Button>
            {history.isPending && <Loader role="status" aria-label="Loading the history" />}
            {history.error && (
              <Alert color="red" role="alert">
                The history could not be loaded: {history.error.message}
              </Alert>
            )}
            {history.isSuccess && rows.length === 0 && (
              <Text size="sm">Nothing recorded for this region&apos;s systems yet.</Text>
            )}
            {rows.length > 0 && <HistoryTable rows={rows} />}
            {history.hasNextPage && (
              <Button
                variant="default"
                w="fit-content"
                loading={history.isFetchingNextPage}
                onClick={() => void history.fetchNextPage()}
              >
                Older entries
              </Button>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}

function HistoryTable({ rows }: { rows: HistoryEntry[] }): ReactNode {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table striped data-testid="enforcement-history" aria-label="Enforcement history">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When (UTC)</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Systems</Table.Th>
            <Table.Th>By</Table.Th>
            <Table.Th>Reason</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((e) => (
            <Table.Tr key={e.id} data-entry={e.kind} data-event={e.event}>
              <Table.Td>{e.at.replace('T', ' ').slice(0, 19)}</Table.Td>
              <Table.Td>
                <Badge variant="outline" color={KIND[e.kind].colour}>
                  {KIND[e.kind].label}
                </Badge>{' '}
                <Text span size="sm" data-testid="event">
                  {eventLabel(e)}
                </Text>
                {e.nationalOverride && (
                  <Badge variant="filled" color={DARK} ml={4}>
                    national override
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{e.systemName || e.systemIds.join(', ')}</Text>
                {e.productVersionId && <Text size="xs">{e.productVersionId}</Text>}
              </Table.Td>
              <Table.Td>
                <Text size="xs">{e.actor}</Text>
              </Table.Td>
              <Table.Td>{e.reason || '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
