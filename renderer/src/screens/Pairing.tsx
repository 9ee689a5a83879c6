// Adding a device, for a home user: first what kind of device it is, then what to do for
// that kind. A phone on a USB cable or over Bluetooth is found by the hub once it is
// connected (it then appears under "New phones connected"); a laptop or phone that syncs
// over the home network gets a login, and the address, user name and password to type into
// it are shown (and as a QR code). Each kind is one entry of PAIR_KINDS: another kind of
// network account is one more entry with its own steps.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { LanAccount } from '../../../main/api/contract';
import { request } from '../../api';
import { QrCode } from '../QrCode';
import { announce, useHub } from '../hooks';

export interface PairStepsProps {
  /** Closes the flow; focus goes back to the button that opened it. */
  close: () => void;
  /** How many phones are connected and waiting to be paired (shown above the flow). */
  waitingPhones: number;
}

export interface PairKind {
  id: string;
  label: string;
  hint: string;
  Steps: (p: PairStepsProps) => ReactNode;
}

export const PAIR_KINDS: PairKind[] = [
  { id: 'usb', label: 'A phone on a USB cable', hint: 'Most phones with a data cable, and SIM phonebooks.', Steps: UsbSteps },
  { id: 'bluetooth', label: 'A phone over Bluetooth', hint: 'A phone without a cable, within a few metres.', Steps: BluetoothSteps },
  { id: 'syncml', label: 'A laptop or phone on your home network', hint: 'Anything with SyncML sync settings: Evolution, SyncEvolution, many older phones.', Steps: SyncmlSteps },
];

/** The "Add a device" button and, once pressed, the flow. */
export function AddDevice({ waitingPhones }: { waitingPhones: number }) {
  const [open, setOpen] = useState(false);
  const [kindId, setKindId] = useState(PAIR_KINDS[0]!.id);
  const opener = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const name = useId();
  const kind = PAIR_KINDS.find((k) => k.id === kindId) ?? PAIR_KINDS[0]!;
  const close = () => {
    setOpen(false);
    // The flow's controls are gone: the keyboard focus goes back to where it started.
    requestAnimationFrame(() => opener.current?.focus());
  };
  useEffect(() => {
    if (open) panel.current?.querySelector<HTMLElement>('input[type=radio]:checked')?.focus();
  }, [open]);

  return (
    <section aria-labelledby="add-device-heading" className="add-device panel">
      <h3 id="add-device-heading">Add a device</h3>
      {!open ? (
        <button type="button" ref={opener} className="primary" onClick={() => setOpen(true)}>
          Add a device…
        </button>
      ) : (
        <div
          ref={panel}
          className="pair-flow"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              close();
            }
          }}
        >
          <fieldset className="pair-kinds">
            <legend>What do you want to add?</legend>
            {PAIR_KINDS.map((k) => (
              <label key={k.id} className="pair-kind">
                <input type="radio" name={name} value={k.id} checked={k.id === kindId} onChange={() => setKindId(k.id)} />
                <span>
                  <strong>{k.label}</strong>
                  <br />
                  <span className="muted small">{k.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="pair-steps" data-kind={kind.id}>
            <kind.Steps key={kind.id} close={close} waitingPhones={waitingPhones} />
          </div>
          <div className="toolbar">
            <button type="button" onClick={close}>
              Close
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

function Waiting({ n }: { n: number }) {
  return (
    <p className={n > 0 ? 'note' : 'muted'} role="status">
      {n > 0 ? `${n === 1 ? 'A phone is' : `${n} phones are`} connected and waiting: pair it under “New phones connected” at the top of this screen.` : 'No new phone found yet. Concord looks every few seconds.'}
    </p>
  );
}

function UsbSteps({ waitingPhones }: PairStepsProps) {
  return (
    <>
      <ol className="steps">
        <li>Plug the phone into this computer with its data cable (a charge-only cable is not enough).</li>
        <li>If the phone asks what the connection is for, choose “PC suite”, “modem” or “data”, not “charging only”.</li>
        <li>Within a few seconds it appears under “New phones connected” at the top of this screen. Give it a name and pair it there.</li>
      </ol>
      <Waiting n={waitingPhones} />
    </>
  );
}

function BluetoothSteps({ waitingPhones }: PairStepsProps) {
  return (
    <>
      <ol className="steps">
        <li>Turn Bluetooth on, on the phone and on this computer, and make the phone visible.</li>
        <li>Pair the phone in this computer’s own Bluetooth settings first, and confirm the code on both. Concord cannot do this part for you.</li>
        <li>Once paired, the phone is listed under “Bluetooth devices paired with this computer” on this screen: choose “Sync this phone” there. (A phone that offers a serial port appears under “New phones connected” instead: pair it there.)</li>
      </ol>
      <Waiting n={waitingPhones} />
    </>
  );
}

/** A password that is easy to type on a phone keypad: no look-alike characters. */
export function newPassword(): string {
  const abc = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const s = [...bytes].map((b) => abc[b % abc.length]).join('');
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

function userFrom(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}

function SyncmlSteps({ close }: PairStepsProps) {
  const { value: settings, reload } = useHub('settings:get', {}, ['settings']);
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [userEdited, setUserEdited] = useState(false);
  const [password, setPassword] = useState(newPassword);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [account, setAccount] = useState<(LanAccount & { name: string; password: string }) | null>(null);
  const [turnedOn, setTurnedOn] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  const lan = settings?.lan;
  useEffect(() => {
    // "Turn on LAN sync" is gone once it is on: the focus goes to the form's first field.
    if (turnedOn && lan?.on) {
      nameInput.current?.focus();
      setTurnedOn(false);
    }
  }, [turnedOn, lan?.on]);
  const userProblem = user && /[:\s]/.test(user) ? 'The user name must not contain spaces or colons.' : null;

  if (!lan) return <p className="muted">Reading the settings…</p>;
  if (account) return <AccountCard account={account} close={close} />;
  if (!lan.on) {
    return (
      <div className="stack">
        <p>
          <strong>LAN sync is off</strong>, so nothing on your network can reach Concord yet. Turn it on to add a laptop or phone that syncs over the network. It
          stays on after a restart; you can turn it off in Settings.
        </p>
        {(error ?? lan.problem) && (
          <p role="alert" className="error-text">
            {error ?? lan.problem} <a href="#/settings">Open Settings</a>
          </p>
        )}
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            aria-disabled={busy || undefined}
            onClick={async () => {
              if (busy) return;
              setBusy(true);
              setError(null);
              try {
                const s = await request('settings:setLan', { on: true });
                if (s.lan.on) {
                  announce(`LAN sync is on at ${s.lan.url}.`);
                  setTurnedOn(true);
                } else setError(s.lan.problem);
                reload();
              } catch (e) {
                setError((e as Error).message);
              } finally {
                setBusy(false);
              }
            }}
          >
            Turn on LAN sync
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      className="stack-form"
      aria-label="Pair a laptop or phone on your network"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        if (userProblem) return setError(userProblem);
        setError(null);
        setBusy(true);
        try {
          const a = await request('devices:pairSyncml', { name: name.trim(), user, password });
          setAccount({ ...a, name: name.trim(), password });
          announce(`${name.trim()} is paired.`);
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setBusy(false);
        }
      }}
    >
      <p className="muted">LAN sync is on. Choose a name for the device; Concord makes a login for it.</p>
      <label>
        Device name
        <input
          ref={nameInput}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (!userEdited) setUser(userFrom(e.target.value));
          }}
          required
          maxLength={100}
          placeholder="Work laptop"
        />
      </label>
      <label>
        User name
        <input
          value={user}
          onChange={(e) => {
            setUser(e.target.value);
            setUserEdited(true);
          }}
          required
          maxLength={100}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={!!userProblem}
          aria-describedby={userProblem ? 'syncml-user-problem' : undefined}
        />
      </label>
      {userProblem && (
        <p id="syncml-user-problem" className="error-text">
          {userProblem}
        </p>
      )}
      <div className="value-row password-row">
        <label className="grow">
          Password
          <input value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={200} autoComplete="off" spellCheck={false} />
        </label>
        <button type="button" onClick={() => setPassword(newPassword())}>
          New password
        </button>
      </div>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="toolbar">
        <button type="submit" className="primary" disabled={!!userProblem} aria-disabled={busy || undefined}>
          Pair
        </button>
      </div>
    </form>
  );
}

/** What to type into the device, once it is paired; focused so a screen reader reads it. */
function AccountCard({ account, close }: { account: LanAccount & { name: string; password: string }; close: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const qrText = `SyncML server: ${account.url ?? ''}\nUser name: ${account.user}\nPassword: ${account.password}`;
  return (
    <div className="account-card" data-testid="pair-account">
      <h4 ref={heading} tabIndex={-1}>
        {account.name} is paired. Enter these in its sync settings:
      </h4>
      <div className="account-grid">
        <dl className="facts account">
          <div>
            <dt>Server address (URL)</dt>
            <dd>
              <code data-testid="pair-url">{account.url}</code>
            </dd>
          </div>
          <div>
            <dt>User name</dt>
            <dd>
              <code data-testid="pair-user">{account.user}</code>
            </dd>
          </div>
          <div>
            <dt>Password</dt>
            <dd>
              <code data-testid="pair-password">{account.password}</code>
            </dd>
          </div>
          <div>
            <dt>Address book (database)</dt>
            <dd>
              <code>addressbook</code> (most names with “contact” or “card” work too)
            </dd>
          </div>
        </dl>
        <figure className="qr-figure">
          <QrCode text={qrText} label={`QR code of the server address, user name and password for ${account.name}`} />
          <figcaption className="muted small">A phone with a camera can scan these details.</figcaption>
        </figure>
      </div>
      <p className="muted small">
        Then start a sync on {account.name}. It syncs by itself whenever it connects. Write the password down now: Concord keeps only a check of it, so it is not shown
        again (pair the device again to choose a new one).
      </p>
      <div className="toolbar">
        <button type="button" className="primary" onClick={close}>
          Done
        </button>
      </div>
    </div>
  );
}
