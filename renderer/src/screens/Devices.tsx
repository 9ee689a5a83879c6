// Devices: each paired sync point with its kind and link, whether it is online, its last
// sync and outcome, what is still waiting for it (with the list behind the sentence), and
// Sync now / Rename / Forget.
import { useState } from 'react';
import type { DeviceStatus, PendingItem } from '../../../main/api/contract';
import { request } from '../../api';
import { announce, useDevices } from '../hooks';
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
      {devices.length === 0 && <p className="muted">No devices are paired yet. Plug in a phone or start a sync from a device on your network.</p>}
      <ul className="cards">
        {devices.map((d) => (
          <li key={d.spid}>
            <DeviceCard d={d} />
          </li>
        ))}
      </ul>
    </section>
  );
}

const ACTION_WORDS = { ADD: 'Add', UPDATE: 'Update', DELETE: 'Delete' } as const;

function DeviceCard({ d }: { d: DeviceStatus }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(d.name);
  const [pending, setPending] = useState<PendingItem[] | null>(null);
  const [confirmForget, setConfirmForget] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sentence = pendingSentence(d.pending);
  const headingId = `device-${d.spid}`;

  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

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
        {sentence ? sentence.charAt(0).toUpperCase() + sentence.slice(1) + '.' : 'Up to date: nothing is waiting.'}
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
      {d.lostState && <p className="note">This device lost its sync state; the next sync matches what it holds again, without duplicates.</p>}
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
