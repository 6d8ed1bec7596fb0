import {
  Alert,
  AppShell,
  Burger,
  Button,
  Group,
  Loader,
  NavLink,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';

import {
  completeSignIn,
  currentSession,
  loadConfig,
  signIn,
  signOut,
  type ConsoleConfig,
  type Role,
  type Session,
} from './auth';
import { SystemsPage } from './pages/SystemsPage';
import { navigate, usePath } from './router';

// the Systems page (the operator's and authorities' landing page) is in the first chunk; the
// others (and the charts) load when opened
const CitizenPage = lazy(() =>
  import('./pages/CitizenPage').then((m) => ({ default: m.CitizenPage })),
);
const HomePage = lazy(() => import('./pages/HomePage').then((m) => ({ default: m.HomePage })));
const AuditPage = lazy(() => import('./pages/AuditPage').then((m) => ({ default: m.AuditPage })));
const ScorecardsPage = lazy(() =>
  import('./pages/ScorecardsPage').then((m) => ({ default: m.ScorecardsPage })),
);
const CertificatesPage = lazy(() =>
  import('./pages/CertificatesPage').then((m) => ({ default: m.CertificatesPage })),
);
const RegionPage = lazy(() =>
  import('./pages/RegionPage').then((m) => ({ default: m.RegionPage })),
);
const EnforcementPage = lazy(() =>
  import('./pages/EnforcementPage').then((m) => ({ default: m.EnforcementPage })),
);

interface PageDef {
  path: string;
  label: string;
  roles: readonly Role[];
  render: (s: Session) => ReactNode;
}

const PAGES: readonly PageDef[] = [
  {
    path: '/citizen',
    label: 'My record',
    roles: ['citizen'],
    render: (s) => <CitizenPage session={s} />,
  },
  {
    path: '/systems',
    label: 'Systems',
    roles: ['operator', 'regional'],
    render: (s) => <SystemsPage session={s} />,
  },
  {
    path: '/scorecards',
    label: 'Scorecards',
    roles: ['operator', 'regional', 'supplier'],
    render: (s) => <ScorecardsPage session={s} />,
  },
  {
    path: '/certificates',
    label: 'Certificates',
    roles: ['operator', 'supplier'],
    render: (s) => <CertificatesPage session={s} />,
  },
  {
    path: '/region',
    label: 'Region',
    roles: ['operator', 'regional'],
    render: (s) => <RegionPage session={s} />,
  },
  {
    path: '/enforcement',
    label: 'Enforcement',
    roles: ['operator', 'regional'],
    render: (s) => <EnforcementPage session={s} />,
  },
  {
    path: '/audit',
    label: 'Access audit',
    roles: ['operator', 'regional'],
    render: (s) => <AuditPage session={s} />,
  },
  {
    path: '/home',
    label: 'My session',
    roles: ['operator', 'regional', 'supplier', 'citizen'],
    render: (s) => <HomePage session={s} />,
  },
];

const landing = (role: Role): string =>
  role === 'citizen' ? '/citizen' : role === 'supplier' ? '/home' : '/systems';

export function App(): ReactNode {
  const path = usePath();
  const [config, setConfig] = useState<ConsoleConfig>();
  const [session, setSession] = useState<Session | undefined>(currentSession);
  const [error, setError] = useState<string>();
  const [opened, { toggle, close }] = useDisclosure();

  useEffect(() => {
    loadConfig().then(setConfig, (e: unknown) => setError(String(e)));
  }, []);

  useEffect(() => {
    if (!config || path !== '/callback') return;
    completeSignIn(config, window.location.search).then(
      (returnTo) => {
        const s = currentSession();
        setSession(s);
        navigate(s && returnTo !== '/' ? returnTo : s ? landing(s.role) : '/', true);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        navigate('/', true);
      },
    );
  }, [config, path]);

  // a signed-in user's pages need no configuration: only signing in does
  if (path === '/callback' || (!session && !config && !error))
    return (
      <Group justify="center" p="xl" component="main">
        <Loader role="status" aria-label="Signing in" />
      </Group>
    );

  if (!session)
    return (
      <Stack component="main" p="xl" maw={520} mx="auto" gap="md">
        <Title order={1}>Trellis console</Title>
        <Text>
          Citizens see their record and who looked at it. The national operator, regional
          authorities and suppliers see the systems and their conformance.
        </Text>
        {error && (
          <Alert color="red" title="Sign-in failed" role="alert">
            {error}
          </Alert>
        )}
        <Button
          size="md"
          disabled={!config}
          onClick={() => config && void signIn(config, path === '/' ? '/' : path)}
        >
          Sign in
        </Button>
      </Stack>
    );

  const mine = PAGES.filter((p) => p.roles.includes(session.role));
  const page = mine.find((p) => p.path === path);
  if (!page) {
    queueMicrotask(() => navigate(landing(session.role), true));
    return null;
  }
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700}>Trellis</Text>
          </Group>
          <Group wrap="nowrap" gap="sm">
            <Text size="sm" visibleFrom="xs" data-testid="signed-in-as">
              {session.name} · {session.role}
              {session.region ? ` (${session.region})` : ''}
            </Text>
            <Button
              variant="default"
              size="xs"
              onClick={() => {
                signOut();
                setSession(undefined);
                navigate('/', true);
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Pages">
        {mine.map((p) => (
          <NavLink
            key={p.path}
            href={p.path}
            label={p.label}
            // filled: the light variant's hover background takes the label below 4.5:1
            variant="filled"
            active={p.path === path}
            aria-current={p.path === path ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              close();
              navigate(p.path);
            }}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loader role="status" aria-label="Loading page" />}>
          {page.render(session)}
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
