// Settings: LAN sync (on or off, and its port, switched now and kept for the next start),
// where the data lives, starting with the login (the desktop app), and the safety net: held
// mass deletions, how long the history is kept, backups (SafetySettings.tsx).
import { useEffect, useId, useState } from 'react';
import type { Settings } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useHub } from '../hooks';
import { SafetySections } from './SafetySettings';

export function SettingsScreen() {
  const { value: settings, error, reload } = useHub('settings:get', {}, ['settings']);
  return (
    <section aria-labelledby="screen-heading" className="screen settings">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Settings
        </h2>
      </div>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {!settings ? (
        <p className="muted">Reading the settings…</p>
      ) : (
        <>
          <LanSection s={settings} reload={reload} />
          <section className="panel" aria-labelledby="data-heading">
            <h3 id="data-heading">Data folder</h3>
            <p>
              Concord keeps your contacts, devices and history in <code data-testid="data-dir">{settings.dataDir}</code>.
            </p>
            <p className="muted small">Back it up with your other files. Only one Concord can use it at a time.</p>
          </section>
          <LoginSection s={settings} />
          <SafetySections s={settings.safety} reload={reload} />
        </>
      )}
    </section>
  );
}

function LanSection({ s, reload }: { s: Settings; reload: () => void }) {
  const [port, setPort] = useState(String(s.lan.port));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The box follows the click at once; the hub's answer then settles it.
  const [on, setOn] = useState(s.lan.on);
  const portId = useId();
  useEffect(() => setPort(String(s.lan.port)), [s.lan.port]);
  useEffect(() => setOn(s.lan.on), [s.lan.on]);
  const portNumber = Number(port);
  const portProblem = /^\d+$/.test(port) && portNumber >= 1 && portNumber <= 65535 ? null : 'The port is a number from 1 to 65535.';
  const problem = error ?? s.lan.problem;

  const set = async (want: boolean, withPort?: number) => {
    setBusy(true);
    setError(null);
    setOn(want);
    try {
      const next = await request('settings:setLan', { on: want, ...(withPort !== undefined ? { port: withPort } : {}) });
      setOn(next.lan.on);
      if (next.lan.problem) setError(next.lan.problem);
      else announce(next.lan.on ? `LAN sync is on at ${next.lan.url}.` : 'LAN sync is off.');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      reload();
    }
  };

  return (
    <section className="panel" aria-labelledby="lan-heading">
      <h3 id="lan-heading">LAN sync</h3>
      <p className="muted small">Lets laptops and phones on your home network sync with Concord (SyncML). Each one must be paired first, on the Devices screen.</p>
      <label className="inline">
        <input
          type="checkbox"
          checked={on}
          aria-disabled={busy || undefined}
          onChange={(e) => !busy && void set(e.target.checked, portProblem ? undefined : portNumber)}
        /> Let devices on my
        home network sync
      </label>
      <p data-testid="lan-state" role="status">
        {s.lan.on ? (
          <>
            On. Devices sync with <code>{s.lan.url}</code>
          </>
        ) : (
          'Off. Nothing on the network can reach Concord.'
        )}
      </p>
      {s.lan.on && s.lan.httpsUrl && (
        <dl className="facts" data-testid="lan-https">
          <div>
            <dt>Encrypted (HTTPS)</dt>
            <dd>
              <code>{s.lan.httpsUrl}</code>
            </dd>
          </div>
          <div>
            <dt>Certificate fingerprint (SHA-256)</dt>
            <dd>
              <code className="fingerprint">{s.lan.fingerprint}</code>
              <br />
              <span className="muted small">A device that warns about the certificate should show this same fingerprint.</span>
            </dd>
          </div>
        </dl>
      )}
      <form
        className="inline-form wrap"
        onSubmit={(e) => {
          e.preventDefault();
          if (!portProblem && !busy) void set(true, portNumber);
        }}
      >
        <label htmlFor={portId}>Port</label>
        <input
          id={portId}
          inputMode="numeric"
          value={port}
          onChange={(e) => setPort(e.target.value.trim())}
          size={6}
          aria-invalid={!!portProblem}
          aria-describedby={portProblem ? `${portId}-problem` : undefined}
        />
        <button type="submit" disabled={!!portProblem} aria-disabled={busy || undefined}>
          {s.lan.on ? 'Use this port' : 'Turn on with this port'}
        </button>
      </form>
      {portProblem && (
        <p id={`${portId}-problem`} className="error-text">
          {portProblem}
        </p>
      )}
      {problem && (
        <p role="alert" className="error-text">
          {problem}
        </p>
      )}
      <p className="muted small">Concord starts LAN sync again the next time it starts, until you turn it off here.</p>
    </section>
  );
}

function LoginSection({ s }: { s: Settings }) {
  const [on, setOn] = useState(s.startAtLogin);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setOn(s.startAtLogin), [s.startAtLogin]);
  return (
    <section className="panel" aria-labelledby="login-heading">
      <h3 id="login-heading">Start at login</h3>
      {on === null ? (
        <p data-testid="login-note">
          This applies to the Concord desktop app, which starts with your login and waits in the system tray. This hub runs as <code>concord serve</code>: to
          start it at login, add that command to your system’s startup programs.
        </p>
      ) : (
        <label className="inline">
          <input
            type="checkbox"
            checked={on}
            onChange={async (e) => {
              const want = e.target.checked;
              setError(null);
              try {
                const next = await request('settings:setStartAtLogin', { on: want });
                setOn(next.startAtLogin);
              } catch (err) {
                setError((err as Error).message);
              }
            }}
          />{' '}
          Start Concord when I log in (it waits in the system tray and syncs devices as they connect)
        </label>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </section>
  );
}
