import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Modal,
  Stack,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';

interface Patient {
  name?: Array<{ given?: string[]; family?: string }>;
  birthDate?: string;
  address?: Array<{ line?: string[]; city?: string; postalCode?: string }>;
  generalPractitioner?: Array<{ display?: string; identifier?: { value?: string } }>;
}

export interface AuditEvent {
  id: string;
  recorded: string;
  outcome?: string;
  text?: { div?: string };
  agent?: Array<{ who?: { display?: string }; requestor?: boolean }>;
  purposeOfEvent?: Array<{ coding?: Array<{ code?: string }> }>;
  extension?: Array<{ url: string; valueDateTime?: string }>;
}

interface Bundle<T> {
  total?: number;
  entry?: Array<{ resource?: T }>;
}

const FLAGGED = 'https://fhir.trellis.nhs.uk/StructureDefinition/access-flagged';
// AA contrast (≥ 4.5:1 with white) for small badge text and outline buttons
const RED = '#b71c1c';

/** The narrative's plain text (the XHTML is never put in the page as markup). */
export function plainText(div: string | undefined): string {
  if (!div) return '';
  return new DOMParser().parseFromString(div, 'text/html').body.textContent?.trim() ?? '';
}

const isOwn = (e: AuditEvent): boolean =>
  e.purposeOfEvent?.some((p) => p.coding?.some((c) => c.code === 'PATRQT')) ?? false;

/** A citizen's own record and everyone who looked at it, with a flag for what they don't know. */
export function CitizenPage({ session }: { session: Session }): ReactNode {
  const nhs = session.patient ?? '';
  const client = useQueryClient();
  const [flagging, setFlagging] = useState<AuditEvent>();
  const [reason, setReason] = useState('');
  const patient = useQuery({
    queryKey: ['patient', nhs],
    queryFn: () => api<Patient>(session, `/fhir/Patient/${nhs}`, { fhir: true }),
  });
  const log = useQuery({
    queryKey: ['access-log', nhs],
    queryFn: () =>
      api<Bundle<AuditEvent>>(session, `/fhir/AuditEvent?patient=${nhs}&_count=100`, {
        fhir: true,
      }),
  });
  const flag = useMutation({
    mutationFn: (v: { id: string; reason: string }) =>
      api<AuditEvent>(session, `/fhir/AuditEvent/${encodeURIComponent(v.id)}/$flag`, {
        method: 'POST',
        fhir: true,
        body: {
          resourceType: 'Parameters',
          parameter: [{ name: 'reason', valueString: v.reason }],
        },
      }),
    onSuccess: () => {
      setFlagging(undefined);
      setReason('');
      void client.invalidateQueries({ queryKey: ['access-log', nhs] });
    },
  });

  const p = patient.data;
  const name = p?.name?.[0];
  const events = (log.data?.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
  return (
    <Stack gap="lg" maw={760}>
      <Title order={1}>My record</Title>
      {patient.isPending && <Loader role="status" aria-label="Loading your record" />}
      {patient.error && (
        <Alert color="red" role="alert">
          Your record could not be loaded: {patient.error.message}
        </Alert>
      )}
      {p && (
        <Card withBorder data-testid="my-record">
          <Text fw={700} size="lg">
            {[...(name?.given ?? []), name?.family].filter(Boolean).join(' ')}
          </Text>
          <Text>NHS number {nhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3')}</Text>
          {p.birthDate && <Text>Born {p.birthDate}</Text>}
          {p.address?.[0] && (
            <Text>
              {[...(p.address[0].line ?? []), p.address[0].city, p.address[0].postalCode]
                .filter(Boolean)
                .join(', ')}
            </Text>
          )}
          {p.generalPractitioner?.[0] && (
            <Text>
              GP practice{' '}
              {p.generalPractitioner[0].display ?? p.generalPractitioner[0].identifier?.value}
            </Text>
          )}
        </Card>
      )}
      <Title order={2}>Who looked at my record</Title>
      <Text size="sm">
        Every time a care system, or you, opens your record it is listed here, newest first. If you
        do not recognise one, tell us: the organisation&apos;s data protection officer and your
        region&apos;s authority are told.
      </Text>
      {log.isPending && <Loader role="status" aria-label="Loading who looked at your record" />}
      {log.error && (
        <Alert color="red" role="alert">
          The list could not be loaded: {log.error.message}
        </Alert>
      )}
      <Stack gap="sm" component="ul" p={0} style={{ listStyle: 'none' }} aria-label="Accesses">
        {events.map((e) => {
          const flaggedAt = e.extension?.find((x) => x.url === FLAGGED)?.valueDateTime;
          return (
            <Card withBorder component="li" key={e.id} data-testid="access" data-id={e.id}>
              <Text>{plainText(e.text?.div)}</Text>
              <Group justify="space-between" mt="xs" wrap="wrap">
                <Group gap="xs">
                  {isOwn(e) && <Badge color="gray">You</Badge>}
                  {e.outcome && e.outcome !== '0' && (
                    <Badge variant="filled" color="#8a3b00">
                      Refused
                    </Badge>
                  )}
                  {flaggedAt && (
                    <Badge variant="filled" color={RED} data-testid="flagged">
                      You flagged this
                    </Badge>
                  )}
                </Group>
                {!flaggedAt && !isOwn(e) && (
                  <Button variant="outline" color={RED} size="xs" onClick={() => setFlagging(e)}>
                    I don&apos;t recognise this
                  </Button>
                )}
              </Group>
            </Card>
          );
        })}
      </Stack>
      <Modal
        opened={flagging !== undefined}
        onClose={() => setFlagging(undefined)}
        lockScroll={false}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title="I don't recognise this access"
      >
        <Stack>
          <Text size="sm">{plainText(flagging?.text?.div)}</Text>
          <Textarea
            label="What do you want to tell us?"
            description="For example: I have never been a patient there."
            value={reason}
            onChange={(ev) => setReason(ev.currentTarget.value)}
            maxLength={1000}
            required
            autosize
            minRows={3}
          />
          {flag.error && (
            <Alert color="red" role="alert">
              {flag.error.message}
            </Alert>
          )}
          <Button
            color={RED}
            loading={flag.isPending}
            disabled={reason.trim() === ''}
            onClick={() => flagging && flag.mutate({ id: flagging.id, reason: reason.trim() })}
          >
            Flag this access
          </Button>
        </Stack>
      </Modal>
    </Stack>
  );
}
