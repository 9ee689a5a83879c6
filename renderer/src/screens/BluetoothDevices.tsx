// Bluetooth devices paired with this computer (through BlueZ): each with what Concord can do
// with it, in range or not, and, where it can sync, pairing it as a sync point in one click
// (with "sync by itself when it comes in range"). Without BlueZ (another system, no adapter,
// the service stopped) one plain line says so; never an error dialog.
import { useEffect, useState } from 'react';
import type { BluetoothDeviceInfo, BluetoothStatus } from '../../../main/api/contract';
import { client, request } from '../../api';
import { announce, useAction } from '../hooks';

const PROFILE_WORDS: Record<BluetoothDeviceInfo['profiles'][number], string> = {
  serial: 'serial port',
  dialup: 'dial-up networking',
  phonebook: 'phonebook access',
  'object-push': 'object push',
};

export function BluetoothDevices() {
  const [status, setStatus] = useState<BluetoothStatus | null>(null);
  useEffect(() => {
    let live = true;
    request('bluetooth:list', {}).then(
      (s) => live && setStatus(s),
      () => undefined,
    );
    const off = client.on('bluetooth:changed', (s) => setStatus(s));
    return () => {
      live = false;
      off();
    };
  }, []);
  if (!status) return null;
  return (
    <section aria-labelledby="bluetooth-heading" className="bluetooth-devices" data-testid="bluetooth-devices">
      <h3 id="bluetooth-heading">Bluetooth devices paired with this computer</h3>
      {!status.available ? (
        <p className="muted" data-testid="bluetooth-unavailable">
          {status.reason}
        </p>
      ) : status.devices.length === 0 ? (
        <p className="muted">No Bluetooth device is paired with this computer. Pair a phone in the system&apos;s Bluetooth settings and it appears here.</p>
      ) : (
        <ul className="cards">
          {status.devices.map((d) => (
            <li key={d.address}>
              <BluetoothCard d={d} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function BluetoothCard({ d }: { d: BluetoothDeviceInfo }) {
  const [autoSync, setAutoSync] = useState(true);
  const { busy, error, act } = useAction();
  const headingId = `bt-${d.address.replace(/:/g, '')}`;
  const profiles = d.profiles.map((p) => PROFILE_WORDS[p]).join(', ');
  return (
    <article className="card" aria-labelledby={headingId} data-bluetooth={d.address}>
      <h4 id={headingId}>{d.name}</h4>
      <p className="muted">
        {d.connected ? 'In range' : 'Not in range'} · {d.address}
        {profiles ? ` · ${profiles}` : ''}
      </p>
      <p>{d.can}</p>
      {d.spid ? (
        <p className="muted">Paired as a sync point: it is listed with the devices below.</p>
      ) : d.syncAs ? (
        <form
          className="inline-form wrap"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              await request('bluetooth:pair', { address: d.address, autoSync });
              announce(`${d.name} is paired${autoSync ? ' and syncing' : ''}.`);
            });
          }}
        >
          <label className="inline">
            <input type="checkbox" checked={autoSync} onChange={(e) => setAutoSync(e.target.checked)} /> Sync by itself when it comes in range
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {d.syncAs === 'pbap' ? 'Read its contacts' : 'Sync this phone'}
          </button>
        </form>
      ) : null}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </article>
  );
}
