import {
  Alert,
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  Pagination,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useMemo, useState, type ReactNode } from 'react';

import { api, ApiError } from '../api';
import type { Session } from '../auth';
import { certificateOf, type VerificationResult } from '../model/certification';
import { resourcesOf, type Bundle } from '../model/fhir';
import { percent, scorecardOf, type MeasureReport } from '../model/scorecard';
import { mayReadSystemRates, systemRates } from '../model/system-rates';
import { DARK, GREEN, ORANGE, RED } from './colours';
import { SystemRate } from './SystemRate';
import {
  allSystems,
  lifecycleLabel,
  lifecycleOffer,
  lifecyclePath,
  systemsBase as base,
  systemsKey,
  type LifecycleOffer,
  type SystemSummary,
} from '../model/systems';

const PAGE = 50;

export function matches(s: SystemSummary, q: string, status: string): boolean {
  if (status !== 'all' && s.status !== status) return false;
  if (!q) return true;
  const needle = q.toLowerCase();
  return [s.name, s.id, s.odsCode, s.supplier, s.region, s.productVersionId].some((f) =>
    f.toLowerCase().includes(needle),
  );
}

/** Every connected system the user may administer; suspend or reinstate with a reason. */
export function SystemsPage({ session }: { session: Session }): ReactNode {
  const client = useQueryClient();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('all');
  const [page, setPage] = useState(1);
  const [acting, setActing] = useState<{ s: SystemSummary; act: string; label?: string }>();
  const [reason, setReason] = useState('');
  const q = useDeferredValue(search.trim());
  const key = systemsKey(session);
  const systems = useQuery({
    queryKey: key,
    queryFn: () => allSystems(session, (soFar) => client.setQueryData(key, soFar)),
  });
  const shown = useMemo(
    () => (systems.data ?? []).filter((s) => matches(s, q, status)),
    [systems.data, q, status],
  );
  // the public register: each product version's certificate, beside its deployments
  const certificates = useQuery({
    queryKey: ['certificates', ''],
    // after the first rows are on screen: the table comes first
    enabled: systems.data !== undefined,
    queryFn: async () =>
      resourcesOf(
        await api<Bundle<VerificationResult>>(session, '/fhir/VerificationResult', { fhir: true }),
        'VerificationResult',
      ).map(certificateOf),
  });
  const certificateOfVersion = useMemo(() => {
    const rank = ['active', 'suspended', 'expired', 'superseded', 'revoked'];
    const best = new Map<string, string>();
    for (const c of certificates.data ?? []) {
      const had = best.get(c.productVersion);
      if (had === undefined || rank.indexOf(c.status) < rank.indexOf(had))
        best.set(c.productVersion, c.status);
    }
    return best;
  }, [certificates.data]);
  // each product version's conformance over the last 24 hours (the operator reads every card),
  // asked for once the whole registry is loaded: one search per version, at most 50 versions
  const versions = useMemo(
    () => [...new Set((systems.data ?? []).map((s) => s.productVersionId))].slice(0, 50),
    [systems.data],
  );
  const rates = useQuery({
    queryKey: ['version-rates', versions],
    enabled:
      session.role === 'operator' &&
      session.scopes.includes('system/MeasureReport.rs') &&
      systems.isSuccess &&
      !systems.isFetching,
    queryFn: async () =>
      new Map(
        await Promise.all(
          versions.map(async (v) => {
            const b = await api<Bundle<MeasureReport>>(
              session,
              `/fhir/MeasureReport?subject=${encodeURIComponent(`Group/${v}`)}`,
              { fhir: true },
            );
            const [report] = resourcesOf(b, 'MeasureReport');
            return [v, report ? scorecardOf(report).rate : undefined] as const;
          }),
        ),
      ),
  });
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages);
  const rows = shown.slice((current - 1) * PAGE, current * PAGE);
  // each shown system's own card (24 h): one call for the table page's rows, after they show
  const rowIds = rows.map((s) => s.id);
  const ownRates = useQuery({
    queryKey: ['system-rates', session.region ?? '', rowIds],
    enabled: mayReadSystemRates(session) && rowIds.length > 0,
    queryFn: () => systemRates(session, rowIds),
  });
  const change = useMutation({
    mutationFn: async (v: { s: SystemSummary; act: string; reason: string }) =>
      v.act === 'suspend' || v.act === 'reinstate'
        ? api<SystemSummary>(session, `${base(session)}/${encodeURIComponent(v.s.id)}/${v.act}`, {
            method: 'POST',
            body: { reason: v.reason },
          })
        : (
            await api<{ system: SystemSummary }>(session, lifecyclePath(v.s), {
              method: 'POST',
              body: { to: v.act, reason: v.reason },
            })
          ).system,
    onSuccess: (updated) => {
      // an act's answer has no product role (listings only): keep the listed one
      client.setQueryData<SystemSummary[]>(key, (old) =>
        old?.map((s) => (s.id === updated.id ? { ...s, ...updated } : s)),
      );
      setActing(undefined);
      setReason('');
    },
  });
  const act = acting?.act;
  const suspending = act === 'suspend';
  const actLabel =
    act === 'suspend' ? 'Suspend' : act === 'reinstate' ? 'Reinstate' : (acting?.label ?? '');

  return (
    <Stack gap="md">
      <Title order={1}>
        Connected systems{session.role === 'regional' ? ` in ${session.region ?? ''}` : ''}
      </Title>
      <Group align="end" wrap="wrap">
        <TextInput
          label="Search"
          placeholder="Name, id, ODS code, supplier, product"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
          w={320}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="status-filter">
            Status
          </Text>
          <SegmentedControl
            aria-labelledby="status-filter"
            value={status}
            onChange={(v) => {
              setStatus(v);
              setPage(1);
            }}
            data={[
              { value: 'all', label: 'All' },
              { value: 'active', label: 'Active' },
              { value: 'suspended', label: 'Suspended' },
            ]}
          />
        </Stack>
      </Group>
      {systems.isPending && <Loader role="status" aria-label="Loading systems" />}
      {systems.error && (
        <Alert color="red" role="alert">
          Systems could not be loaded: {systems.error.message}
        </Alert>
      )}
      {systems.data && (
        <Text size="sm" aria-live="polite" data-testid="systems-count">
          {shown.length} of {systems.data.length} systems
          {systems.isFetching ? ' (loading more…)' : ''}
        </Text>
      )}
      <Table.ScrollContainer minWidth={1040}>
        <Table striped highlightOnHover data-testid="systems">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>System</Table.Th>
              <Table.Th>Organisation</Table.Th>
              <Table.Th>Region</Table.Th>
              <Table.Th>Product version</Table.Th>
              <Table.Th>Conformance (24 h)</Table.Th>
              <Table.Th>Lifecycle</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>
                <VisuallyHidden>Action</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((s) => (
              <Table.Tr key={s.id} data-system={s.id}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {s.name}
                  </Text>
                  <Text size="xs">{s.id}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{s.odsCode}</Text>
                  <Text size="xs">{s.supplier}</Text>
                </Table.Td>
                <Table.Td>{s.region}</Table.Td>
                <Table.Td>
                  <Text size="sm">{s.productVersionId}</Text>
                  <Text size="xs" data-testid="certificate">
                    certificate: {certificateOfVersion.get(s.productVersionId) ?? 'none'}
                  </Text>
                  {rates.data && (
                    <Text size="xs" data-testid="version-rate">
                      conformance (24 h): {percent(rates.data.get(s.productVersionId))}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <SystemRate
                    enabled={mayReadSystemRates(session)}
                    card={ownRates.data?.get(s.id)}
                    loading={ownRates.isFetching && !ownRates.data}
                    failed={ownRates.isError}
                  />
                </Table.Td>
                <Table.Td>
                  <Badge variant="outline" color={DARK} data-testid="lifecycle">
                    {lifecycleLabel(s)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Badge
                    variant="filled"
                    color={s.status === 'active' ? GREEN : RED}
                    data-testid="state"
                  >
                    {s.status}
                  </Badge>
                  {s.writesRestricted && (
                    <Badge variant="filled" color={ORANGE} ml={4}>
                      writes restricted
                    </Badge>
                  )}
                  {s.suspensionReason && <Text size="xs">{s.suspensionReason}</Text>}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button
                      size="xs"
                      variant="outline"
                      color={s.status === 'active' ? RED : GREEN}
                      onClick={() =>
                        setActing({ s, act: s.status === 'active' ? 'suspend' : 'reinstate' })
                      }
                      aria-label={`${s.status === 'active' ? 'Suspend' : 'Reinstate'} ${s.name}`}
                    >
                      {s.status === 'active' ? 'Suspend' : 'Reinstate'}
                    </Button>
                    <LifecycleAction
                      offer={lifecycleOffer(session, s)}
                      name={s.name}
                      onAct={(to, label) => setActing({ s, act: to, label })}
                    />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={current}
          onChange={setPage}
          getControlProps={(c) => ({ 'aria-label': `${c} page` })}
          getItemProps={(n) => ({ 'aria-label': `Page ${n}` })}
        />
      )}
      <Modal
        opened={acting !== undefined}
        onClose={() => setActing(undefined)}
        lockScroll={false}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={`${actLabel}: ${acting?.s.name ?? ''}`}
      >
        <Stack>
          <Text size="sm">
            {suspending
              ? 'Its tokens stop working within seconds and it gets no new ones.'
              : act === 'reinstate'
                ? 'It can get tokens and call Trellis again.'
                : act === 'live' && acting?.s.productRole === 'other'
                  ? 'A national act: its product has no conformance scheme, so no certificate vouches for it. Your reason is its record.'
                  : act === 'live'
                    ? 'It goes into production: its role scopes need a valid certificate and the region’s requirements.'
                    : `It moves from ${acting?.s.lifecycle ?? ''} to ${act ?? ''}.`}
          </Text>
          <Textarea
            label="Reason"
            description="Kept in the registry's change log with your name."
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            maxLength={500}
            required
            autosize
            minRows={2}
          />
          {change.error && (
            <Alert color="red" role="alert" title="Refused">
              {change.error instanceof ApiError ? `${change.error.status}: ` : ''}
              {change.error.message}
            </Alert>
          )}
          <Button
            color={suspending ? RED : act === 'reinstate' ? GREEN : DARK}
            loading={change.isPending}
            disabled={reason.trim() === ''}
            onClick={() => acting && change.mutate({ ...acting, reason: reason.trim() })}
          >
            {suspending ? 'Suspend system' : act === 'reinstate' ? 'Reinstate system' : actLabel}
          </Button>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** A system's next lifecycle step, or why this session has none (e.g. a national act). */
function LifecycleAction({
  offer,
  name,
  onAct,
}: {
  offer: LifecycleOffer | undefined;
  name: string;
  onAct: (to: string, label: string) => void;
}): ReactNode {
  if (!offer) return null;
  if (offer.kind === 'explain')
    return (
      <Text size="xs" maw={220} data-testid="lifecycle-explain">
        {offer.text}
      </Text>
    );
  return (
    <Button
      size="xs"
      variant="outline"
      color={DARK}
      onClick={() => onAct(offer.to, offer.label)}
      aria-label={`${offer.label}: ${name}`}
    >
      {offer.label}
    </Button>
  );
}
