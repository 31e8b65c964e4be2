/**
 * The dashboard's shell: who may look (sign-in, or protected mode on this machine), the navigation
 * and the page the location's hash names (#/overview, #/keys…), so every page has a link of its own
 * and the server serves one file.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, readSessionKey, requestApi, writeSessionKey } from './api-client.js';
import { SessionContext } from './session.js';
import { OverviewPage } from './pages/overview-page.js';
import { KeysPage } from './pages/keys-page.js';
import { ModelsPage } from './pages/models-page.js';
import { RequestsPage } from './pages/requests-page.js';
import { PlaygroundPage } from './pages/playground-page.js';

const PAGES = [
  { path: 'overview', title: 'Overview', render: () => <OverviewPage /> },
  { path: 'keys', title: 'Keys and teams', render: () => <KeysPage /> },
  { path: 'models', title: 'Models and routing', render: () => <ModelsPage /> },
  { path: 'requests', title: 'Requests', render: () => <RequestsPage /> },
  { path: 'playground', title: 'Playground', render: () => <PlaygroundPage /> },
] as const;

function currentPath(): string {
  const path = window.location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return PAGES.some((page) => page.path === path) ? path : 'overview';
}

type Access =
  | { state: 'checking' }
  | { state: 'signed-out'; reason: string | null }
  | { state: 'signed-in'; key: string | null };

/**
 * Whether a key (or none, in protected mode) gets in: the admin API first; a gateway key that is
 * not an admin key still sees the pages that need only a client key (models, playground).
 */
async function checkAccess(key: string | null): Promise<Access> {
  for (const path of ['/admin/keys?limit=1', '/v1/models']) {
    try {
      await requestApi(path, { key });
      return { state: 'signed-in', key };
    } catch (error) {
      if (
        !(error instanceof ApiError) ||
        (error.status !== 401 && error.status !== 403 && error.status !== 404)
      )
        return { state: 'signed-out', reason: (error as Error).message };
    }
  }
  return { state: 'signed-out', reason: key ? 'This key is not accepted by the gateway.' : null };
}

function SignIn({ reason, onKey }: { reason: string | null; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <main class="sign-in" id="main">
      <h1>LLM Gateway</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
      >
        <p>
          Sign in with an admin key (<code>GATEWAY_ADMIN_KEYS</code>). It is kept in this tab only and sent in
          a header, never in a link.
        </p>
        <label>
          Admin key
          <input
            type="password"
            name="key"
            autoComplete="off"
            required
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
        </label>
        {reason ? (
          <p class="message message-error" role="alert">
            {reason}
          </p>
        ) : null}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <p class="hint">
        With no key configured, the gateway is in protected mode and lets this machine in without one.
      </p>
    </main>
  );
}

export function App() {
  const [access, setAccess] = useState<Access>({ state: 'checking' });
  const [path, setPath] = useState(currentPath());
  const locale = navigator.language || 'en-US';

  useEffect(() => {
    void checkAccess(readSessionKey()).then(setAccess);
    const onHash = () => setPath(currentPath());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const page = PAGES.find((entry) => entry.path === path);
    document.title = `${page?.title ?? 'Dashboard'} · LLM Gateway`;
  }, [path]);

  if (access.state === 'checking') {
    return (
      <main id="main">
        <p role="status">Connecting to the gateway…</p>
      </main>
    );
  }
  if (access.state === 'signed-out') {
    return (
      <SignIn
        reason={access.reason}
        onKey={(key) => {
          void checkAccess(key).then((result) => {
            if (result.state === 'signed-in') writeSessionKey(key);
            setAccess(result);
          });
        }}
      />
    );
  }
  const signOut = () => {
    writeSessionKey(null);
    setAccess({ state: 'signed-out', reason: null });
  };
  const page = PAGES.find((entry) => entry.path === path) ?? PAGES[0];
  return (
    <SessionContext.Provider value={{ key: access.key, locale, signOut }}>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          // The hash names the page: move the focus without changing it.
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">LLM Gateway</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((entry) => (
              <li key={entry.path}>
                <a href={`#/${entry.path}`} aria-current={entry.path === page.path ? 'page' : undefined}>
                  {entry.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {access.key ? (
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          ) : (
            <span class="badge" title="No key is configured: this machine is let in without one">
              Protected mode
            </span>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page.render()}
      </main>
    </SessionContext.Provider>
  );
}
