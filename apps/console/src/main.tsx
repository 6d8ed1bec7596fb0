import '@mantine/core/styles.css';

import { createTheme, MantineProvider, type CSSVariablesResolver } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { currentSession } from './auth';
import { allSystems, systemsKey } from './model/systems';

// the server puts a fresh nonce here per response; Mantine's own <style> elements carry it (CSP)
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';
const queries = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 10_000 } },
});
// the Systems page's first registry call leaves with the bundle, not after React's first render
const session = currentSession();
if (
  (session?.role === 'operator' || session?.role === 'regional') &&
  (window.location.pathname === '/systems' || window.location.pathname === '/')
) {
  const key = systemsKey(session);
  void queries.prefetchQuery({
    queryKey: key,
    queryFn: () => allSystems(session, (soFar) => queries.setQueryData(key, soFar)),
  });
}
// AA contrast: the default primary (blue 6) on white is below 4.5:1 for small text;
// users who ask the system for reduced motion get dialogs without fade and slide (WCAG 2.3.3)
const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8, respectReducedMotion: true });
// AA contrast for secondary text (descriptions, placeholders): gray 7 instead of gray 6
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': '#495057', '--mantine-color-placeholder': '#495057' },
  dark: {},
});

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} cssVariablesResolver={contrast} getStyleNonce={() => nonce}>
        <QueryClientProvider client={queries}>
          <App />
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
