// Devices: each paired sync point with its kind and link, whether it is online, its last
// sync and outcome, what is still waiting for it (with the list behind the sentence), and
// Sync now (or why not) / Rename / Forget / auto-sync. Above them: phones just plugged in
// that are not paired yet (pair, with auto-sync or not, or ignore); below, adding a device
// (Pairing.tsx: what to do for each kind of device).
import { useEffect, useRef, useState } from 'react';
import type { DeviceStatus, DiscoveredPhone, PendingItem } from '../../../main/api/contract';
import { client, request } from '../../api';
import { announce, useAction, useDevices, useHub } from '../hooks';
import { AddDevice } from './Pairing';
import { BluetoothDevices } from './BluetoothDevices';
import { kindLabel, linkLabel, outcomeLabel, pendingSentence, when } from '../words';

export function DevicesScreen() {
  const devices = useDevices().filter((d) => d.kind !== 'editor');
  const phones = useDiscovered();
  const lanUrl = useHub('app:info', {}, ['settings']).value?.lanUrl ?? null;
  return (
    <section aria-labelledby="screen-heading" className="screen">
      <div className="screen-head">
        <h2 id="screen-heading" tabIndex={-1}>
          Devices
        </h2>
      </div>
      <DiscoveredPhones phones={phones} />
      <BluetoothDevices />
      {devices.length === 0 && <p className="muted">No devices are paired yet. Add one below: Concord says what to do for each kind of device.</p>}
      <ul className="cards">
        {devices.map((d) => (
          <li key={d.spid}>
            <DeviceCard d={d} lanUrl={lanUrl} />
          </li>
        ))}
      </ul>
      <AddDevice waitingPhones={phones.length} />
    </section>
  );
}

/** Phones connected now and not paired: the hub's `devices:discovered` list and event. */
function useDiscovered(): DiscoveredPhone[] {
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
  return phones;
}

function DiscoveredPhones({ phones }: { phones: DiscoveredPhone[] }) {
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
          if (busy) return;
          void act(async () => {
            await request('devices:pairPhone', { spid: p.spid, autoSync, ...(name.trim() ? { name: name.trim() } : {}) });
            announce(`${name.trim() || p.name} is paired${autoSync ? ' and syncing' : ''}.`);
            // This card goes; the phone's own card comes: the focus follows it.
            focusWhenShown(`device-${p.spid}`);
          });
        }}
      >
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
        </label>
        <label className="inline">
          <input type="checkbox" checked={autoSync} onChange={(e) => setAutoSync(e.target.checked)} /> Sync by itself whenever it appears
          <span className="visually-hidden"> ({p.name})</span>
        </label>
        <button type="submit" className="primary" aria-disabled={busy || undefined}>
          Pair this phone<span className="visually-hidden"> ({p.name})</span>
        </button>
        <button
          type="button"
          aria-disabled={busy || undefined}
          onClick={() =>
            !busy &&
            void act(async () => {
              await request('devices:ignorePhone', { spid: p.spid });
              focusWhenShown('screen-heading');
            })
          }
        >
          Ignore<span className="visually-hidden"> {p.name}</span>
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

const ACTION_WORDS = { ADD: 'Add', UPDATE: 'Update', DELETE: 'Delete' } as const;

function DeviceCard({ d, lanUrl }: { d: DeviceStatus; lanUrl: string | null }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(d.name);
  const [pending, setPending] = useState<PendingItem[] | null>(null);
  const [confirmForget, setConfirmForget] = useState(false);
  const { busy, error, act } = useAction();
  const sentence = pendingSentence(d.pending);
  const headingId = `device-${d.spid}`;
  const reasonId = `sync-reason-${d.spid}`;
  const renameButton = useRef<HTMLButtonElement>(null);
  const forgetButton = useRef<HTMLButtonElement>(null);
  // Where the keyboard focus goes when the rename box or the forget question closes.
  const focusLater = (el: { current: HTMLElement | null }) => requestAnimationFrame(() => el.current?.focus());
  const stopRenaming = () => {
    setRenaming(false);
    focusLater(renameButton);
  };
  // Greyed out (disabled) only for a reason the user can act on; while it works, the button
  // stays focusable (aria-disabled), so the keyboard focus is not thrown to the page.
  const offline = syncNowReason(d, lanUrl);
  const reason = offline ?? (busy ? `Working on ${d.name}…` : null);

  return (
    <article className="card" aria-labelledby={headingId} data-spid={d.spid}>
      {renaming ? (
        <form
          className="inline-form wrap"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              stopRenaming();
            }
          }}
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await request('devices:rename', { spid: d.spid, name: name.trim() });
              stopRenaming();
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
          <button type="button" onClick={stopRenaming}>
            Cancel
          </button>
        </form>
      ) : (
        <h3 id={headingId} tabIndex={-1}>
          {d.name}
        </h3>
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
              <span className="visually-hidden"> of changes waiting for {d.name}</span>
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
          aria-disabled={busy || undefined}
          onChange={(e) => {
            if (busy) return;
            const on = e.target.checked;
            void act(() => request('devices:setAutoSync', { spid: d.spid, on }));
          }}
        />{' '}
        Sync by itself whenever it {d.link === 'lan' ? 'connects' : 'appears'}
        <span className="visually-hidden"> ({d.name})</span>
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
          disabled={offline !== null}
          aria-disabled={busy || undefined}
          title={reason ?? undefined}
          aria-describedby={reason ? reasonId : undefined}
          onClick={() =>
            !busy &&
            void act(async () => {
              announce(`Syncing ${d.name}.`);
              await request('devices:sync', { spid: d.spid });
            })
          }
        >
          Sync now<span className="visually-hidden"> {d.name}</span>
        </button>
        <button type="button" ref={renameButton} onClick={() => { setName(d.name); setRenaming(true); }}>
          Rename<span className="visually-hidden"> {d.name}</span>
        </button>
        {!confirmForget ? (
          <button type="button" ref={forgetButton} className="danger" onClick={() => setConfirmForget(true)}>
            Forget…<span className="visually-hidden"> {d.name}</span>
          </button>
        ) : (
          <span role="group" aria-label="Confirm forget">
            <span>Forget {d.name}? Its contacts stay in Concord. </span>
            <button
              type="button"
              className="danger"
              autoFocus
              onClick={() =>
                void act(async () => {
                  await request('devices:forget', { spid: d.spid });
                  announce(`${d.name} is forgotten; its contacts stay in Concord.`);
                  focusWhenShown('screen-heading');
                })
              }
            >
              Yes, forget it
            </button>
            <button
              type="button"
              onClick={() => {
                setConfirmForget(false);
                focusLater(forgetButton);
              }}
            >
              Keep it
            </button>
          </span>
        )}
      </div>
      {reason && (
        <p id={reasonId} className="muted small sync-reason" data-testid="sync-reason">
          {reason}
        </p>
      )}
    </article>
  );
}

/** Why "Sync now" cannot be pressed for this device, in words of what to do; null: it can. */
export function syncNowReason(d: DeviceStatus, lanUrl: string | null): string | null {
  if (d.online) return null;
  switch (d.link) {
    case 'usb':
      return `Plug ${d.name} in with its cable to sync it.`;
    case 'bluetooth':
      return `Turn on Bluetooth on ${d.name} and bring it near this computer to sync it.`;
    case 'lan':
      if (d.kind !== 'syncml') return `${d.name} is not on the network now.`;
      if (!lanUrl) return `LAN sync is off, so ${d.name} cannot reach Concord. Turn it on in Settings.`;
      return `${d.name} starts its own syncs: start a sync on it (its server address is ${lanUrl}). It syncs by itself whenever it connects.`;
    case 'simulated':
      return `${d.name} is not connected.`;
    case 'none':
      return null;
  }
}

/** Moves the keyboard focus to the element with this id once it is on the page (a card that
 *  appears after the hub's next answer), unless the user has put the focus somewhere since:
 *  a control that disappears must not leave the focus on the page itself. */
function focusWhenShown(id: string, timeoutMs = 3000): void {
  const until = performance.now() + timeoutMs;
  const from = document.activeElement;
  const tick = () => {
    const active = document.activeElement;
    const lost = !active || active === document.body || !active.isConnected || active === from;
    if (!lost) return;
    const el = document.getElementById(id);
    if (el) el.focus();
    else if (performance.now() < until) requestAnimationFrame(tick);
    else document.getElementById('screen-heading')?.focus();
  };
  requestAnimationFrame(tick);
}
