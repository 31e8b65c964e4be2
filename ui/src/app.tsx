/**
 * The dashboard's shell: who may look (sign-in, or protected mode on this machine), the navigation
 * and the page the location's hash names (#/overview, #/keys…), so every page has a link of its own
 * and the server serves one file.
 */
import { useEffect, useState } from 'preact/hooks';
import { readSessionKeys, requestApi, writeSessionKeys, type SessionKeys } from './api-client.js';
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
  | { state: 'signed-in'; keys: SessionKeys; protectedMode: boolean };

/** Whether a path answers with a key: null when it does, else why not. */
async function refusal(path: string, key: string | null): Promise<string | null> {
  try {
    await requestApi(path, { key });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Whether the keys (or none, in protected mode on this machine) get in: the admin key must open
 * the admin API, the gateway key the model routes. Without any key, only protected mode lets in.
 */
async function checkAccess(keys: SessionKeys): Promise<Access> {
  if (keys.admin === null && keys.client === null) {
    const refused = await refusal('/v1/models', null);
    return refused === null
      ? { state: 'signed-in', keys, protectedMode: true }
      : { state: 'signed-out', reason: null };
  }
  if (keys.admin !== null) {
    const refused = await refusal('/admin/keys?limit=1', keys.admin);
    if (refused !== null) return { state: 'signed-out', reason: `Admin key: ${refused}` };
  }
  if (keys.client !== null) {
    const refused = await refusal('/v1/models', keys.client);
    if (refused !== null) return { state: 'signed-out', reason: `Gateway key: ${refused}` };
  }
  return { state: 'signed-in', keys, protectedMode: false };
}

function SignIn({ reason, onKeys }: { reason: string | null; onKeys: (keys: SessionKeys) => void }) {
  const [admin, setAdmin] = useState('');
  const [client, setClient] = useState('');
  return (
    <main class="sign-in" id="main">
      <h1>LLM Gateway</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onKeys({ admin: admin.trim() || null, client: client.trim() || null });
        }}
      >
        <p>
          Sign in with an admin key (<code>GATEWAY_ADMIN_KEYS</code>) to see spend, keys and requests, and a
          gateway key to see the models and use the playground. Both are kept in this tab only and sent in a
          header, never in a link.
        </p>
        <label>
          Admin key
          <input
            type="password"
            name="admin_key"
            autoComplete="off"
            value={admin}
            onInput={(event) => setAdmin(event.currentTarget.value)}
          />
        </label>
        <label>
          Gateway key (optional)
          <input
            type="password"
            name="client_key"
            autoComplete="off"
            value={client}
            onInput={(event) => setClient(event.currentTarget.value)}
          />
        </label>
        {reason ? (
          <p class="message message-error" role="alert">
            {reason}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={!admin.trim() && !client.trim()}>
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
    void checkAccess(readSessionKeys()).then(setAccess);
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
        onKeys={(keys) => {
          void checkAccess(keys).then((result) => {
            if (result.state === 'signed-in') writeSessionKeys(keys);
            setAccess(result);
          });
        }}
      />
    );
  }
  const signOut = () => {
    writeSessionKeys({ admin: null, client: null });
    setAccess({ state: 'signed-out', reason: null });
  };
  const page = PAGES.find((entry) => entry.path === path) ?? PAGES[0];
  return (
    <SessionContext.Provider value={{ keys: access.keys, locale, signOut }}>
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
          {!access.protectedMode ? (
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          ) : (
            <>
              <span class="badge" title="No key is configured: this machine is let in without one">
                Protected mode
              </span>{' '}
              <button type="button" onClick={signOut}>
                Sign in with a key
              </button>
            </>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page.render()}
      </main>
    </SessionContext.Provider>
  );
}
