import { Alert, Button, Group, Loader, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';
import { plainText, type AuditEvent } from './CitizenPage';

interface Bundle {
  total?: number;
  entry?: Array<{ resource?: AuditEvent }>;
}

interface Filter {
  patient: string;
  agent: string;
  from: string;
}

function queryOf(f: Filter): string {
  const q = new URLSearchParams({ _count: '100' });
  if (f.patient) q.set('patient', f.patient.replace(/\s/g, ''));
  if (f.agent) q.set('agent', `Organization/${f.agent.trim().toUpperCase()}`);
  if (f.from) q.set('date', `ge${f.from}`);
  return q.toString();
}

/**
 * The access audit (FHIR AuditEvent) by patient, organisation, date: the operator's of every
 * access, a regional authority's of its region's organisations' (the audit store decides).
 */
export function AuditPage({ session }: { session: Session }): ReactNode {
  const [draft, setDraft] = useState<Filter>({ patient: '', agent: '', from: '' });
  const [filter, setFilter] = useState<Filter>();
  const result = useQuery({
    queryKey: ['audit', filter],
    enabled: filter !== undefined,
    queryFn: () =>
      api<Bundle>(session, `/fhir/AuditEvent?${queryOf(filter!)}`, {
        fhir: true,
      }),
  });
  const events = (result.data?.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...draft });
  };
  return (
    <Stack gap="md">
      <Title order={1}>
        Access audit{session.role === 'regional' ? ` in ${session.region ?? ''}` : ''}
      </Title>
      {session.role === 'regional' && (
        <Text size="sm">Accesses made by the organisations of your region.</Text>
      )}
      <form onSubmit={submit} aria-label="Search the access audit">
        <Group align="end" wrap="wrap">
          <TextInput
            label="Patient NHS number"
            value={draft.patient}
            onChange={(e) => setDraft({ ...draft, patient: e.currentTarget.value })}
            inputMode="numeric"
          />
          <TextInput
            label="Organisation (ODS code)"
            value={draft.agent}
            onChange={(e) => setDraft({ ...draft, agent: e.currentTarget.value })}
          />
          <TextInput
            label="From (YYYY-MM-DD)"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      {result.isFetching && <Loader role="status" aria-label="Searching" />}
      {result.error && (
        <Alert color="red" role="alert">
          {result.error.message}
        </Alert>
      )}
      {result.data && (
        <Text size="sm" aria-live="polite" data-testid="audit-count">
          {events.length} of {result.data.total ?? events.length} accesses
        </Text>
      )}
      {events.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped data-testid="audit">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What happened</Table.Th>
                <Table.Th>Outcome</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{e.recorded.replace('T', ' ').slice(0, 19)}</Table.Td>
                  <Table.Td>{plainText(e.text?.div)}</Table.Td>
                  <Table.Td>{e.outcome === '0' ? 'allowed' : 'refused'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
