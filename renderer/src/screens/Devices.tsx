// Devices: each paired sync point with its kind and link, whether it is online, its last
// sync and outcome, what is still waiting for it (with the list behind the sentence), and
// Sync now / Rename / Forget / auto-sync. Above them: phones just plugged in that are not
// paired yet (pair, with auto-sync or not, or ignore), and pairing a SyncML client on the
// home network (name, user, password), with the LAN URL when LAN sync is on.
import { useEffect, useState } from 'react';
import type { DeviceStatus, DiscoveredPhone, PendingItem } from '../../../main/api/contract';
import { client, request } from '../../api';
import { announce, useAction, useDevices, useHub } from '../hooks';
import { BluetoothDevices } from './BluetoothDevices';
import { kindLabel, linkLabel, outcomeLabel, pendingSentence, when } from '../words';

export function DevicesScreen() {
  const devices = useDevices().filter((d) => d.kind !== 'editor');
  return (
    <section aria-labelledby="screen-heading" className="screen">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Devices
        </h2>
      </div>
      <DiscoveredPhones />
      <BluetoothDevices />
      {devices.length === 0 && <p className="muted">No devices are paired yet. Plug in a phone or start a sync from a device on your network.</p>}
      <ul className="cards">
        {devices.map((d) => (
          <li key={d.spid}>
            <DeviceCard d={d} />
          </li>
        ))}
      </ul>
      <PairSyncml />
    </section>
  );
}

/** Phones connected now and not paired: the hub's `devices:discovered` list and event. */
function DiscoveredPhones() {
  const [phones, setPhones] = useState<DiscoveredPhone[]>([]);
  useEffect(() => {
    let live = true;
    request('devices:discovered', {}).then(
      (list) => live && setPhones(list),
      () => undefined,
    );
    const off = client.on('devices:discovered', (list) => {
      setPhones(list);
      if (list.length > 0) announce(`New phone connected: ${list[list.length - 1]!.name}.`);
    });
    return () => {
      live = false;
      off();
    };
  }, []);
  if (phones.length === 0) return null;
  return (
    <section aria-labelledby="discovered-heading" className="discovered">
      <h3 id="discovered-heading">New phones connected</h3>
      <ul className="cards">
        {phones.map((p) => (
          <li key={p.spid}>
            <DiscoveredCard p={p} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function DiscoveredCard({ p }: { p: DiscoveredPhone }) {
  const [name, setName] = useState(p.name);
  const [autoSync, setAutoSync] = useState(true);
  const { busy, error, act } = useAction();
  const headingId = `discovered-${p.spid}`;
  const storages = p.storages.map((s) => (s === 'SM' ? 'SIM card' : s === 'ME' ? 'phone memory' : s)).join(' and ');
  return (
    <article className="card" aria-labelledby={headingId} data-discovered={p.spid}>
      <h4 id={headingId}>{p.name}</h4>
      <p className="muted">
        {linkLabel(p.link)} on {p.port}: {storages}, room for {p.capacity} entries. IMEI {p.imei}.
      </p>
      <form
        className="inline-form wrap"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await request('devices:pairPhone', { spid: p.spid, autoSync, ...(name.trim() ? { name: name.trim() } : {}) });
            announce(`${name.trim() || p.name} is paired${autoSync ? ' and syncing' : ''}.`);
          });
        }}
      >
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
        </label>
        <label className="inline">
          <input type="checkbox" checked={autoSync} onChange={(e) => setAutoSync(e.target.checked)} /> Sync by itself whenever it appears
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Pair this phone
        </button>
        <button type="button" disabled={busy} onClick={() => void act(() => request('devices:ignorePhone', { spid: p.spid }))}>
          Ignore
        </button>
      </form>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </article>
  );
}

/** Approve a laptop or phone that syncs over SyncML on the home network. */
function PairSyncml() {
  const info = useHub('app:info', {}, ['settings']).value;
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const userProblem = user && /[:\s]/.test(user) ? 'The user name must not contain spaces or colons.' : null;
  return (
    <section aria-labelledby="syncml-heading" className="pair-syncml">
      <h3 id="syncml-heading">Laptops and phones on your network (SyncML)</h3>
      <p className="muted" data-testid="lan-url">
        {info?.lanUrl ? (
          <>
            LAN sync is on. Point the device&apos;s sync settings at <code>{info.lanUrl}</code> with the user name and password you choose here.
          </>
        ) : (
          <>LAN sync is off. Start the hub with <code>--lan-port N</code> to let paired devices sync over the network; you can pair them now.</>
        )}
      </p>
      {done && <p role="status">{done}</p>}
      {!open ? (
        <button type="button" onClick={() => { setOpen(true); setDone(null); }}>
          Pair a SyncML device…
        </button>
      ) : (
        <form
          className="stack-form"
          aria-label="Pair a SyncML device"
          onSubmit={(e) => {
            e.preventDefault();
            if (userProblem) return setError(userProblem);
            setError(null);
            request('devices:pairSyncml', { name: name.trim(), user, password }).then(
              () => {
                setOpen(false);
                setPassword('');
                setDone(`${name.trim()} is paired. It can sync as ${user}.`);
                announce(`${name.trim()} is paired.`);
                setName('');
                setUser('');
              },
              (err: Error) => setError(err.message),
            );
          }}
        >
          <label>
            Device name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="Work laptop" />
          </label>
          <label>
            User name{' '}
            <input value={user} onChange={(e) => setUser(e.target.value)} required maxLength={100} autoComplete="off" aria-invalid={!!userProblem} aria-describedby={userProblem ? 'syncml-user-problem' : undefined} />
          </label>
          {userProblem && (
            <p id="syncml-user-problem" className="error-text">
              {userProblem}
            </p>
          )}
          <label>
            Password <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={200} autoComplete="new-password" />
          </label>
          {error && (
            <p role="alert" className="error-text">
              {error}
            </p>
          )}
          <div className="toolbar">
            <button type="submit" className="primary" disabled={!!userProblem}>
              Pair
            </button>
            <button type="button" onClick={() => { setOpen(false); setError(null); }}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

const ACTION_WORDS = { ADD: 'Add', UPDATE: 'Update', DELETE: 'Delete' } as const;

function DeviceCard({ d }: { d: DeviceStatus }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(d.name);
  const [pending, setPending] = useState<PendingItem[] | null>(null);
  const [confirmForget, setConfirmForget] = useState(false);
  const { busy, error, act } = useAction();
  const sentence = pendingSentence(d.pending);
  const headingId = `device-${d.spid}`;

  return (
    <article className="card" aria-labelledby={headingId} data-spid={d.spid}>
      {renaming ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await request('devices:rename', { spid: d.spid, name: name.trim() });
              setRenaming(false);
              announce(`Renamed to ${name.trim()}.`);
            });
          }}
        >
          <label>
            <span className="visually-hidden">New name for {d.name}</span>
            <input value={name} onChange={(e) => setName(e.target.value)} autoFocus required maxLength={100} />
          </label>
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <h3 id={headingId}>{d.name}</h3>
      )}
      <dl className="facts">
        <div>
          <dt>Kind</dt>
          <dd>{kindLabel(d)}</dd>
        </div>
        <div>
          <dt>Link</dt>
          <dd>{linkLabel(d.link)}</dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>
            <span className={`badge ${d.online ? 'ok' : 'off'}`}>{d.online ? 'Connected' : 'Not connected'}</span>
          </dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>{d.lastSyncAt ? `${when(d.lastSyncAt)} — ${outcomeLabel(d.lastOutcome)}` : 'Never synced'}</dd>
        </div>
      </dl>
      <p className="pending" data-testid="pending">
        {sentence
          ? sentence.charAt(0).toUpperCase() + sentence.slice(1) + '.'
          : d.lostState && d.kind !== 'editor'
            ? 'Its next complete sync sends it every contact it lacks.'
            : 'Up to date: nothing is waiting.'}
        {sentence && (
          <>
            {' '}
            <button
              type="button"
              className="link"
              aria-expanded={pending !== null}
              onClick={() => void (pending ? setPending(null) : act(async () => setPending(await request('devices:pending', { spid: d.spid }))))}
            >
              {pending ? 'Hide the list' : 'Show the list'}
            </button>
          </>
        )}
      </p>
      {pending && (
        <ul className="pending-list" aria-label={`Changes waiting for ${d.name}`}>
          {pending.map((p) => (
            <li key={p.guid + p.action}>
              <strong>{ACTION_WORDS[p.action]}</strong> {p.name || '(no name)'} <span className="muted">since {when(p.since)}</span>
            </li>
          ))}
        </ul>
      )}
      <label className="inline">
        <input
          type="checkbox"
          checked={d.autoSync}
          disabled={busy}
          onChange={(e) => {
            const on = e.target.checked;
            void act(() => request('devices:setAutoSync', { spid: d.spid, on }));
          }}
        />{' '}
        Sync by itself whenever it appears
      </label>
      {d.lostState && d.lastSyncAt !== null && <p className="note">This device lost its sync state; the next sync matches what it holds again, without duplicates.</p>}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={!d.online || busy}
          title={d.online ? undefined : 'Connect the device first'}
          onClick={() =>
            void act(async () => {
              announce(`Syncing ${d.name}.`);
              await request('devices:sync', { spid: d.spid });
            })
          }
        >
          Sync now
        </button>
        <button type="button" onClick={() => { setName(d.name); setRenaming(true); }} aria-label={`Rename ${d.name}`}>
          Rename
        </button>
        {!confirmForget ? (
          <button type="button" className="danger" onClick={() => setConfirmForget(true)} aria-label={`Forget ${d.name}`}>
            Forget…
          </button>
        ) : (
          <span role="group" aria-label="Confirm forget">
            <span>Forget {d.name}? Its contacts stay in Concord. </span>
            <button type="button" className="danger" autoFocus onClick={() => void act(() => request('devices:forget', { spid: d.spid }))}>
              Yes, forget it
            </button>
            <button type="button" onClick={() => setConfirmForget(false)}>
              Keep it
            </button>
          </span>
        )}
      </div>
    </article>
  );
}
