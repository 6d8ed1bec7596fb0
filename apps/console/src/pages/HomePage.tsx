import { Card, List, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

import type { Session } from '../auth';

/** Who is signed in, as what, with which scopes (a supplier's landing page for now). */
export function HomePage({ session }: { session: Session }): ReactNode {
  return (
    <Stack gap="md">
      <Title order={1}>My session</Title>
      <Card withBorder>
        <Text>
          Signed in as <strong>{session.name}</strong> ({session.role})
          {session.system ? `, acting as the connected system ${session.system}` : ''}
          {session.region ? ` in ${session.region}` : ''}.
        </Text>
        <Text size="sm" mt="xs">
          Session ends at {new Date(session.expiresAt).toLocaleTimeString('en-GB')}.
        </Text>
        <Title order={2} size="h4" mt="md">
          Permissions
        </Title>
        <List size="sm">
          {session.scopes.map((s) => (
            <List.Item key={s}>{s}</List.Item>
          ))}
        </List>
      </Card>
    </Stack>
  );
}
