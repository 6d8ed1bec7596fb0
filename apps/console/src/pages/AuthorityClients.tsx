import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Loader,
  Modal,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import { api } from '../api';
import type { Session } from '../auth';
import {
  authorityClientsPath,
  clientProperties,
  mayRekey,
  rekeyPath,
  withdrawPath,
  type AuthorityClientList,
  type KafkaPrincipal,
} from '../model/authority-clients';
import { mayApprove, type SystemSummary } from '../model/systems';
import { DARK, GREEN, ORANGE, RED } from './colours';

type Acting = { c: SystemSummary; act: 'rekey' | 'withdraw' };

/**
 * A region's authority clients and their Kafka principals (issue 18): re-key a client's Kafka
 * password (the new secret is shown once and kept nowhere) or withdraw the client (suspended,
 * its principal deleted), by the region's authority or the national operator.
 */
export function AuthorityClients({
  session,
  region,
}: {
  session: Session;
  region: string;
}): ReactNode {
  const client = useQueryClient();
  const key = ['authority-clients', region];
  const list = useQuery({
    queryKey: key,
    queryFn: () => api<AuthorityClientList>(session, authorityClientsPath(region)),
  });
  const [acting, setActing] = useState<Acting | undefined>();
  const [reason, setReason] = useState('');
  const act = useMutation({
    mutationFn: async (v: Acting & { reason: string }) =>
      v.act === 'rekey'
        ? (
            await api<{ kafka: KafkaPrincipal }>(session, rekeyPath(region, v.c.id), {
              method: 'POST',
              body: {},
            })
          ).kafka
        : (
            await api<{ client: SystemSummary }>(session, withdrawPath(region, v.c.id), {
              method: 'POST',
              body: { reason: v.reason },
            })
          ).client,
    onSuccess: async (_r, v) => {
      if (v.act === 'withdraw') setActing(undefined);
      setReason('');
      await client.invalidateQueries({ queryKey: key });
    },
  });
  const close = (): void => {
    setActing(undefined);
    setReason('');
    act.reset(); // the secret leaves the page with the dialog
  };
  const secret =
    acting?.act === 'rekey' && act.isSuccess ? (act.data as KafkaPrincipal) : undefined;
  const writer = mayApprove(session);
  const data = list.data;

  return (
    <>
      <Title order={2} size="h3">
        Authority clients
      </Title>
      {list.isPending && <Loader role="status" aria-label="Loading authority clients" />}
      {list.error && (
        <Alert color="red" role="alert">
          Authority clients could not be loaded: {list.error.message}
        </Alert>
      )}
      {data && (
        <Card withBorder data-testid="authority-clients">
          <Text size="sm" mb="sm">
            {data.managedBy === 'operator'
              ? 'Their Kafka principals are declared in the platform’s deployment: ask the platform team to re-key one.'
              : `Each has a Kafka principal that reads this region’s stream only (${data.managedBy === 'strimzi' ? 'a Strimzi KafkaUser' : 'on the broker'}).`}
            {data.truncated ? ' Only the first 200 are shown.' : ''}
          </Text>
          {data.clients.length === 0 ? (
            <Text size="sm">The region has no authority clients.</Text>
          ) : (
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Client</Table.Th>
                  <Table.Th>Kafka principal</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.clients.map((c) => (
                  <Table.Tr key={c.id} data-client={c.id}>
                    <Table.Td>
                      <Text size="sm" fw={600}>
                        {c.name}
                      </Text>
                      <Text size="xs">{c.id}</Text>
                    </Table.Td>
                    <Table.Td>
                      <code>{`region-${region}.${c.id}`}</code>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="filled" color={c.status === 'active' ? GREEN : RED}>
                        {c.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {writer && c.status === 'active' && (
                        <Group gap={4} wrap="nowrap">
                          {mayRekey(data, c) && (
                            <Button
                              size="xs"
                              variant="outline"
                              color={DARK}
                              onClick={() => setActing({ c, act: 'rekey' })}
                              aria-label={`Re-key Kafka password of ${c.name}`}
                            >
                              Re-key Kafka password
                            </Button>
                          )}
                          <Button
                            size="xs"
                            variant="outline"
                            color={RED}
                            onClick={() => setActing({ c, act: 'withdraw' })}
                            aria-label={`Withdraw ${c.name}`}
                          >
                            Withdraw
                          </Button>
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
      )}
      <Modal
        opened={acting !== undefined}
        onClose={close}
        lockScroll={false}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={`${acting?.act === 'rekey' ? 'Re-key Kafka password' : 'Withdraw'}: ${acting?.c.name ?? ''}`}
      >
        {secret ? (
          <Stack data-testid="new-kafka-secret">
            <Alert color={ORANGE} title="Shown once">
              Copy the password now: Trellis keeps no copy. The old password no longer works.
            </Alert>
            <Text size="sm">
              Principal <code>{secret.principal}</code>
            </Text>
            <Code block tabIndex={0} data-testid="kafka-password">
              {secret.password ?? ''}
            </Code>
            <Text size="sm">Kafka client settings:</Text>
            <Code block tabIndex={0}>
              {clientProperties(secret)}
            </Code>
            <Group>
              <CopyButton value={secret.password ?? ''}>
                {({ copied, copy }) => (
                  <Button variant="outline" color={DARK} onClick={copy}>
                    {copied ? 'Copied' : 'Copy password'}
                  </Button>
                )}
              </CopyButton>
              <Button color={DARK} onClick={close}>
                I have stored it
              </Button>
            </Group>
          </Stack>
        ) : (
          <Stack>
            <Text size="sm">
              {acting?.act === 'rekey'
                ? 'A new password is made for its Kafka principal; the current one stops working at once, so every consumer using it needs the new one.'
                : 'It is suspended (its tokens stop working within seconds) and its Kafka principal is deleted.'}
            </Text>
            {acting?.act === 'withdraw' && (
              <Textarea
                label="Reason"
                description="On the region's stream and in the audit, with your name."
                value={reason}
                onChange={(e) => setReason(e.currentTarget.value)}
                maxLength={500}
                required
                autosize
                minRows={2}
              />
            )}
            {act.error && (
              <Alert color="red" role="alert">
                {act.error.message}
              </Alert>
            )}
            <Button
              color={acting?.act === 'rekey' ? DARK : RED}
              loading={act.isPending}
              disabled={acting?.act === 'withdraw' && reason.trim() === ''}
              onClick={() => acting && act.mutate({ ...acting, reason: reason.trim() })}
            >
              {acting?.act === 'rekey' ? 'Make a new password' : 'Withdraw client'}
            </Button>
          </Stack>
        )}
      </Modal>
    </>
  );
}
