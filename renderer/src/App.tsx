// The app shell: a header with the sync status and "Sync now", the six screens as tabs
// routed by the URL fragment (so the browser's back button and a reload keep the screen),
// a connection banner, and the live region screen readers hear announcements from.
import { useEffect, useRef, useState } from 'react';
import { client, request, type ConnectionState } from '../api';
import { ConnectionBanner } from './ConnectionBanner';
import { ActivityScreen } from './screens/Activity';
import { ConflictsScreen } from './screens/Conflicts';
import { ContactsScreen } from './screens/Contacts';
import { DevicesScreen } from './screens/Devices';
import { PriorityScreen } from './screens/Priority';
import { RecentlyDeletedScreen } from './screens/RecentlyDeleted';
import { HoldBanner } from './safety/HoldBanner';
import { SettingsScreen } from './screens/Settings';
import { announce, useRunProgress } from './hooks';

const SCREENS = [
  { id: 'contacts', label: 'Contacts' },
  { id: 'devices', label: 'Devices' },
  { id: 'priority', label: 'Priority' },
  { id: 'conflicts', label: 'Conflicts' },
  { id: 'activity', label: 'Activity' },
  { id: 'deleted', label: 'Recently deleted' },
  { id: 'settings', label: 'Settings' },
] as const;
type ScreenId = (typeof SCREENS)[number]['id'];

function screenFromHash(): ScreenId {
  const id = window.location.hash.replace(/^#\/?/, '');
  return (SCREENS.find((s) => s.id === id)?.id ?? 'contacts') as ScreenId;
}

export function App() {
  const [screen, setScreen] = useState<ScreenId>(screenFromHash);
  const [syncError, setSyncError] = useState<string | null>(null);
  const [conn, setConn] = useState<ConnectionState>('connecting');
  const run = useRunProgress();
  const running = run !== null && !run.finished;

  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => client.onConnection(setConn), []);
  const shown = useRef(screen);
  useEffect(() => {
    const label = SCREENS.find((s) => s.id === screen)?.label ?? '';
    document.title = `${label} — Concord`;
    // Move focus to the new screen's heading, so keyboard and screen reader users land there;
    // not on the first load, where the first Tab must reach the skip link.
    if (shown.current === screen) return;
    shown.current = screen;
    document.getElementById('screen-heading')?.focus();
  }, [screen]);

  // A greyed-out button says why (in its tooltip, and to screen readers).
  const syncNowReason = running ? 'A sync is running; it can be started again when it has finished.' : conn !== 'open' ? 'Not connected to the Concord hub.' : null;

  const syncNow = async () => {
    setSyncError(null);
    announce('Sync started.');
    try {
      const summary = await request('sync:run', {});
      announce(summary.outcome === 'ok' ? 'Sync finished.' : 'Sync finished with problems; see Activity.');
    } catch (e) {
      setSyncError((e as Error).message);
    }
  };

  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          // The fragment routes the screens: jump to the content without changing screen.
          e.preventDefault();
          const target = document.getElementById('screen-heading') ?? document.getElementById('main');
          target?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="app-header">
        <h1 className="brand">Concord</h1>
        <nav aria-label="Screens">
          <ul className="tabs">
            {SCREENS.map((s) => (
              <li key={s.id}>
                <a href={`#/${s.id}`} aria-current={s.id === screen ? 'page' : undefined} data-screen={s.id}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sync-status" role="status" aria-live="polite">
          {running ? <span>Syncing… {run.step.toLowerCase()}</span> : <span className="muted">Idle</span>}
        </div>
        <button
          type="button"
          className="primary sync-all"
          onClick={() => !running && void syncNow()}
          // Not connected: greyed out. Running: still focusable (aria-disabled), so pressing it
          // from the keyboard does not throw the focus to the page.
          disabled={conn !== 'open'}
          aria-disabled={running || undefined}
          title={syncNowReason ?? 'Sync every connected device now'}
          aria-describedby={[syncNowReason ? 'sync-now-reason' : '', syncError ? 'sync-error' : ''].filter(Boolean).join(' ') || undefined}
        >
          {running ? 'Syncing…' : 'Sync now'}
        </button>
        {syncNowReason && (
          <span id="sync-now-reason" className="visually-hidden">
            {syncNowReason}
          </span>
        )}
      </header>
      <ConnectionBanner />
      {syncError && (
        <div className="banner error" role="alert" id="sync-error">
          {syncError}
        </div>
      )}
      <HoldBanner />
      <main id="main" className="app-main" tabIndex={-1}>
        {screen === 'contacts' && <ContactsScreen />}
        {screen === 'devices' && <DevicesScreen />}
        {screen === 'priority' && <PriorityScreen />}
        {screen === 'conflicts' && <ConflictsScreen />}
        {screen === 'activity' && <ActivityScreen run={run} />}
        {screen === 'deleted' && <RecentlyDeletedScreen />}
        {screen === 'settings' && <SettingsScreen />}
      </main>
      <div id="announcer" className="visually-hidden" aria-live="polite" role="status" />
    </div>
  );
}
