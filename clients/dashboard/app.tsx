// The dashboard's shell: its session first (the sign-in form when the server
// has a secret key and no session), then the header, the navigation and the
// view the address names. Each view moves focus to its heading when shown.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, loadSession, signIn, signOut, whenSignedOut, type Session } from './api.js';
import { Link, navigate, segments, usePath } from './router.js';
import { ConfigsView } from './views/configs.js';
import { ConnectionsView } from './views/connections.js';
import { EventsView } from './views/events.js';
import { OverviewView } from './views/overview.js';
import { WebhooksView } from './views/webhooks.js';

const VIEWS = [
  { path: '', label: 'Overview', View: OverviewView },
  { path: 'configs', label: 'Provider configs', View: ConfigsView },
  { path: 'connections', label: 'Connections', View: ConnectionsView },
  { path: 'events', label: 'Events', View: EventsView },
  { path: 'webhooks', label: 'Webhooks', View: WebhooksView },
] as const;

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    whenSignedOut(() => setSession((current) => (current ? { ...current, signedIn: false, csrfToken: null } : current)));
    loadSession().then(setSession, (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)));
  }, []);
  if (failure) return <main class="centered"><h1>The dashboard could not start</h1><p role="alert">{failure}</p></main>;
  if (!session) return <main class="centered" aria-busy="true"><p>Loading…</p></main>;
  if (!session.signedIn) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignedOut={() => setSession({ ...session, signedIn: false, csrfToken: null })} />;
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="centered">
      <h1>Sign in to the token service</h1>
      <p>Give this server's secret key (<code>NANGO_SECRET_KEY</code>). It is exchanged for a session of an hour in this browser and not kept by the page.</p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const input = (event.currentTarget as HTMLFormElement).elements.namedItem('secret-key') as HTMLInputElement;
          setBusy(true);
          setError(null);
          try {
            const session = await signIn(input.value);
            input.value = '';
            onSignedIn(session);
          } catch (failure) {
            setError(failure instanceof ApiError && failure.code === 'invalid_secret_key' ? "That is not this server's secret key." : String((failure as Error).message));
          } finally {
            setBusy(false);
          }
        }}
      >
        {error && <p id="sign-in-error" class="error" role="alert">{error}</p>}
        <label for="secret-key">Secret key</label>
        <input id="secret-key" name="secret-key" type="password" autocomplete="current-password" required aria-describedby={error ? 'sign-in-error' : undefined} aria-invalid={error ? 'true' : undefined} />
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const path = usePath();
  const [section = '', ...rest] = segments(path);
  const current = VIEWS.find((view) => view.path === section) ?? VIEWS[0];
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Nango token service</span>
        {!session.protected && <span class="warning" role="status">Unprotected: no secret key is set, so anyone who can reach this server can use it.</span>}
        {session.protected && (
          <button
            type="button"
            class="quiet"
            onClick={async () => {
              await signOut().catch(() => undefined);
              navigate('/');
              onSignedOut();
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <nav aria-label="Dashboard">
        <ul>
          {VIEWS.map((view) => (
            <li key={view.path}>
              <Link href={view.path ? `/dashboard/${view.path}` : '/'} current={view === current}>
                {view.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <current.View params={rest} />
      </main>
    </>
  );
}
