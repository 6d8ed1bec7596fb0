import {
  Accordion,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';
import {
  certificateOf,
  outcomeOf,
  sessionOf,
  type Certificate,
  type OpenSession,
  type Parameters,
  type ScenarioOutcome,
  type TestReport,
  type VerificationResult,
} from '../model/certification';
import { resourcesOf, type Bundle } from '../model/fhir';
import { LIVE_LABEL, sessionProgress, type ScenarioProgress } from '../model/session-progress';

// AA contrast (≥ 4.5:1 with white) for small badge text
const COLOUR: Record<string, string> = {
  pass: '#1b5e20',
  active: '#1b5e20',
  fail: '#b71c1c',
  revoked: '#b71c1c',
  suspended: '#8a3b00',
  expired: '#495057',
  superseded: '#495057',
  waiting: '#495057',
  passing: '#1b5e20',
  failing: '#8a3b00',
};
const SESSION_KEY = 'trellis.conformance-session';
const POLL_MS = 2_000;

const stored = (): OpenSession | undefined =>
  (JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as OpenSession | null) ?? undefined;

function download(c: Certificate): void {
  const url = URL.createObjectURL(new Blob([c.jwt], { type: 'application/jwt' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `certificate-${c.productVersion}-${c.id}.jwt`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A supplier's conformance sessions and certificates; the operator reads the public register. */
export function CertificatesPage({ session }: { session: Session }): ReactNode {
  const supplier = session.role === 'supplier';
  const [open, setOpen] = useState<OpenSession | undefined>(supplier ? stored() : undefined);
  const [finished, setFinished] = useState<ScenarioOutcome[]>();
  const target = supplier && session.productVersion ? `Group/${session.productVersion}` : '';

  const register = useQuery({
    queryKey: ['certificates', target],
    queryFn: async () =>
      resourcesOf(
        await api<Bundle<VerificationResult>>(
          session,
          `/fhir/VerificationResult${target ? `?target=${encodeURIComponent(target)}` : ''}`,
          { fhir: true },
        ),
        'VerificationResult',
      ).map(certificateOf),
  });
  // the session's TestReports, polled while it is open: they appear once it is finished
  // (by this page or by the supplier's own client calling $finish-session)
  const reports = useQuery({
    queryKey: ['test-reports', open?.id],
    enabled: open !== undefined,
    refetchInterval: (q) => ((q.state.data?.length ?? 0) > 0 ? false : POLL_MS),
    queryFn: async () =>
      resourcesOf(
        await api<Bundle<TestReport>>(
          session,
          `/fhir/TestReport?session=${encodeURIComponent(open!.id)}`,
          { fhir: true },
        ),
        'TestReport',
      ).map(outcomeOf),
  });
  const start = useMutation({
    mutationFn: async () =>
      sessionOf(
        await api<Parameters>(session, '/fhir/TestScript/$start-session', {
          method: 'POST',
          fhir: true,
          body: { resourceType: 'Parameters', parameter: [] },
        }),
      ),
    onSuccess: (s) => {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
      setFinished(undefined);
      setOpen(s);
    },
  });
  const finish = useMutation({
    mutationFn: async (s: OpenSession) =>
      resourcesOf(
        await api<Bundle<TestReport>>(session, '/fhir/TestScript/$finish-session', {
          method: 'POST',
          fhir: true,
          body: { resourceType: 'Parameters', parameter: [{ name: 'session', valueId: s.id }] },
        }),
        'TestReport',
      ).map(outcomeOf),
    onSuccess: (outcomes) => {
      setFinished(outcomes);
      void register.refetch();
    },
  });
  const outcomes = finished ?? (reports.data?.length ? reports.data : undefined);
  // the scenarios as they stand while the session runs, judged on each read (until finished)
  const progress = useQuery({
    queryKey: ['session-progress', open?.id],
    enabled: open !== undefined && outcomes === undefined,
    refetchInterval: POLL_MS,
    queryFn: () => sessionProgress(session, open!.id),
  });

  return (
    <Stack gap="md">
      <Title order={1}>Certificates and conformance sessions</Title>
      {supplier && (
        <Card withBorder>
          <Title order={2} size="h4">
            Conformance session
          </Title>
          <Text size="sm" mb="sm">
            Your sandbox system {session.system ?? ''} runs the scenarios of its product&apos;s role
            ({session.productVersion ?? 'no product version'}), sending the header{' '}
            <code>x-trellis-scenario</code> on each request. Each scenario shows how it stands as
            the requests arrive; it passes or fails when the session is finished.
          </Text>
          {!open && (
            <Button onClick={() => start.mutate()} loading={start.isPending} w="fit-content">
              Start a session
            </Button>
          )}
          {start.error && (
            <Alert color="red" role="alert" mt="sm">
              The session could not be started: {start.error.message}
            </Alert>
          )}
          {open && (
            <Stack gap="sm" data-testid="session" data-session={open.id}>
              <Text size="sm">
                Session <code>{open.id}</code> · role {open.role} · rules {open.rulesVersion}
              </Text>
              <Scenarios
                open={open}
                outcomes={outcomes}
                live={outcomes ? undefined : progress.data?.scenarios}
              />
              <Group>
                {!outcomes && (
                  <Button
                    onClick={() => finish.mutate(open)}
                    loading={finish.isPending}
                    color="indigo"
                  >
                    Finish session
                  </Button>
                )}
                {!outcomes && (
                  <Text size="sm" aria-live="polite" role="status">
                    {reports.isFetching
                      ? 'Checking for results…'
                      : 'Waiting for the session to finish'}
                  </Text>
                )}
                {outcomes && (
                  <Button
                    variant="default"
                    onClick={() => {
                      sessionStorage.removeItem(SESSION_KEY);
                      setOpen(undefined);
                      setFinished(undefined);
                    }}
                  >
                    Close
                  </Button>
                )}
              </Group>
              {finish.error && (
                <Alert color="red" role="alert">
                  The session could not be finished: {finish.error.message}
                </Alert>
              )}
            </Stack>
          )}
        </Card>
      )}
      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          {supplier ? 'Certificates of your product version' : 'Certificate register'}
        </Title>
        {register.isPending && <Loader role="status" aria-label="Loading certificates" />}
        {register.error && (
          <Alert color="red" role="alert">
            {register.error.message}
          </Alert>
        )}
        {register.data?.length === 0 && <Text size="sm">No certificate issued.</Text>}
        {!!register.data?.length && <Certificates list={register.data} />}
      </Card>
    </Stack>
  );
}

function Scenarios(props: {
  open: OpenSession;
  outcomes: ScenarioOutcome[] | undefined;
  live: ScenarioProgress[] | undefined;
}) {
  const byScenario = new Map(props.outcomes?.map((o) => [o.scenario, o]));
  const liveOf = new Map(props.live?.map((p) => [p.id, p]));
  return (
    <Accordion multiple variant="separated" data-testid="scenarios">
      {props.open.scenarios.map((id) => {
        const o = byScenario.get(id);
        const live = o ? undefined : liveOf.get(id);
        const state = o?.result ?? live?.state ?? 'waiting';
        return (
          <Accordion.Item key={id} value={id} data-scenario={id}>
            <Accordion.Control>
              <Group justify="space-between" wrap="nowrap">
                <Text size="sm" fw={600}>
                  {o?.title || live?.title || id}
                </Text>
                <Badge
                  variant={o ? 'filled' : 'outline'}
                  color={COLOUR[state] ?? '#495057'}
                  data-testid={o ? 'result' : 'live'}
                >
                  {o ? state : LIVE_LABEL[live?.state ?? 'waiting']}
                </Badge>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              {!o && !live && <Text size="sm">Not evaluated yet.</Text>}
              {live && <LiveAssertions live={live} />}
              {o && (
                <Stack gap={6}>
                  {o.asserts.map((a) => (
                    <div key={a.message}>
                      <Text size="sm">
                        <strong>{a.result === 'pass' ? 'Passed' : 'Failed'}:</strong> {a.message}
                      </Text>
                      <Text size="xs">
                        <code>{a.detail}</code>
                      </Text>
                    </div>
                  ))}
                </Stack>
              )}
            </Accordion.Panel>
          </Accordion.Item>
        );
      })}
    </Accordion>
  );
}

/** The assertions of a running scenario, as its requests so far meet them. */
function LiveAssertions({ live }: { live: ScenarioProgress }): ReactNode {
  return (
    <Stack gap={6} data-testid="live-assertions">
      <Text size="xs">
        {live.requests} request{live.requests === 1 ? '' : 's'} so far · Finish decides
      </Text>
      {live.assertions.map((a) => (
        <div key={a.id} data-assertion={a.id} data-pass={a.pass}>
          <Text size="sm">
            <strong>{a.pass ? 'Met so far' : 'Not met yet'}:</strong> {a.description}
          </Text>
          <Text size="xs">
            {a.message}
            {a.evidence && (
              <>
                {' '}
                <code>{a.evidence}</code>
              </>
            )}
          </Text>
        </div>
      ))}
    </Stack>
  );
}

function Certificates({ list }: { list: Certificate[] }): ReactNode {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped data-testid="certificates">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Product version</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Issued</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>Certificate</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.map((c) => (
            <Table.Tr key={c.id} data-certificate={c.id}>
              <Table.Td>
                <Text size="sm">{c.productVersion}</Text>
                <Text size="xs">{c.title}</Text>
              </Table.Td>
              <Table.Td>{c.role}</Table.Td>
              <Table.Td>
                <Badge variant="filled" color={COLOUR[c.status] ?? '#495057'}>
                  {c.status}
                </Badge>
                {c.statusReason && <Text size="xs">{c.statusReason}</Text>}
              </Table.Td>
              <Table.Td>{c.issued.slice(0, 10)}</Table.Td>
              <Table.Td>{c.expires.slice(0, 10)}</Table.Td>
              <Table.Td>
                <Button
                  size="xs"
                  variant="outline"
                  disabled={!c.jwt}
                  onClick={() => download(c)}
                  aria-label={`Download the certificate of ${c.productVersion}`}
                >
                  Download
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
