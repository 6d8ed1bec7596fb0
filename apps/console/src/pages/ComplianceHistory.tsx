import { Alert, Badge, Button, Card, Loader, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { ComplianceChangePageJson } from '@trellis/contracts';
import type { ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';

// AA contrast (≥ 4.5:1 with white), as the scorecard's state badge
const COLOUR: Record<string, string> = {
  compliant: '#1b5e20',
  warned: '#8a3b00',
  enforced: '#b71c1c',
};

/** A product version's enforcement history: every compliance change, newest first, 20 a page. */
export function ComplianceHistory(props: {
  session: Session;
  productVersion: string;
  refreshedAt: number;
}): ReactNode {
  const { session, productVersion } = props;
  const history = useInfiniteQuery({
    queryKey: ['compliance-changes', productVersion, props.refreshedAt],
    initialPageParam: '',
    getNextPageParam: (last: ComplianceChangePageJson) => last.nextPageToken || undefined,
    queryFn: ({ pageParam }) =>
      api<ComplianceChangePageJson>(
        session,
        `/admin/v1/product-versions/${encodeURIComponent(productVersion)}/compliance-changes?${new URLSearchParams({ pageSize: '20', ...(pageParam ? { pageToken: pageParam } : {}) }).toString()}`,
      ),
  });
  const rows = history.data?.pages.flatMap((p) => p.changes) ?? [];
  return (
    <Card withBorder data-testid="compliance-history">
      <Title order={2} size="h4" mb="sm" id="compliance-history">
        Enforcement history
      </Title>
      {history.isPending && <Loader role="status" aria-label="Loading enforcement history" />}
      {history.error && (
        <Alert color="red" role="alert">
          The enforcement history could not be loaded: {history.error.message}
        </Alert>
      )}
      {history.isSuccess && rows.length === 0 && (
        <Text size="sm" data-testid="no-compliance-changes">
          No compliance change recorded for {productVersion}: it has always been compliant.
        </Text>
      )}
      {rows.length > 0 && (
        <Table aria-labelledby="compliance-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When (UTC)</Table.Th>
              <Table.Th>Change</Table.Th>
              <Table.Th>Cause</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.version} data-change={c.version}>
                <Table.Td>{c.at.replace('T', ' ').slice(0, 19)}</Table.Td>
                <Table.Td>
                  {c.from} →{' '}
                  <Badge color={COLOUR[c.to] ?? '#343a40'} variant="filled">
                    {c.to}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.cause}</Table.Td>
                <Table.Td>{c.actor}</Table.Td>
                <Table.Td>{c.reason || '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {history.hasNextPage && (
        <Button
          mt="sm"
          variant="default"
          loading={history.isFetchingNextPage}
          onClick={() => void history.fetchNextPage()}
        >
          Older changes
        </Button>
      )}
    </Card>
  );
}
