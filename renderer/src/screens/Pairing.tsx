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
  {
    id: 'carddav',
    label: 'iPhone, Mac, Android (DAVx⁵), Thunderbird — CardDAV',
    hint: 'Contacts apps that add a “CardDAV account”: Apple Contacts, DAVx⁵ on Android, Thunderbird, GNOME and KDE.',
    Steps: CarddavSteps,
  },
];

/** The two kinds of login on the LAN endpoint: what differs between their flows. */
interface LanKind {
  kind: LanAccount['kind'];
  request: 'devices:pairSyncml' | 'devices:pairCarddav';
  formLabel: string;
  /** Characters a user name must not have, and the words saying so. */
  userProblem: (user: string) => string | null;
  maxUser: number;
}

const SYNCML: LanKind = {
  kind: 'syncml',
  request: 'devices:pairSyncml',
  formLabel: 'Pair a laptop or phone on your network',
  userProblem: (u) => (u && /[:\s]/.test(u) ? 'The user name must not contain spaces or colons.' : null),
  maxUser: 100,
};

const CARDDAV: LanKind = {
  kind: 'carddav',
  request: 'devices:pairCarddav',
  formLabel: 'Pair a CardDAV contacts app',
  userProblem: (u) => (u && !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(u) ? 'The user name may have letters, digits and . _ @ - only, and must start with a letter or digit.' : null),
  maxUser: 64,
};

function SyncmlSteps(p: PairStepsProps) {
  return <LanSteps {...p} kind={SYNCML} />;
}

function CarddavSteps(p: PairStepsProps) {
  return <LanSteps {...p} kind={CARDDAV} />;
}

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

function LanSteps({ close, kind }: PairStepsProps & { kind: LanKind }) {
  const { value: settings, reload } = useHub('settings:get', {}, ['settings']);
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [userEdited, setUserEdited] = useState(false);
  const [password, setPassword] = useState(newPassword);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [account, setAccount] = useState<PairedAccount | null>(null);
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
  const userProblem = kind.userProblem(user);

  if (!lan) return <p className="muted">Reading the settings…</p>;
  if (account) return account.kind === 'carddav' ? <CarddavCard account={account} close={close} /> : <AccountCard account={account} close={close} />;
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
      aria-label={kind.formLabel}
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        if (userProblem) return setError(userProblem);
        setError(null);
        setBusy(true);
        try {
          const a = await request(kind.request, { name: name.trim(), user, password });
          setAccount({ ...a, name: name.trim(), password, httpsUrl: httpsOf(a.url, lan.httpsUrl), fingerprint: lan.fingerprint });
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
          maxLength={kind.maxUser}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={!!userProblem}
          aria-describedby={userProblem ? `${kind.kind}-user-problem` : undefined}
        />
      </label>
      {userProblem && (
        <p id={`${kind.kind}-user-problem`} className="error-text">
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

/** A paired account with what the flow knows besides: the password typed, and the same
 *  endpoint over HTTPS with its certificate's fingerprint (null when HTTPS is off). */
type PairedAccount = LanAccount & { name: string; password: string; httpsUrl: string | null; fingerprint: string | null };

/** The account's URL on the HTTPS port: same path, the HTTPS endpoint's scheme and port. */
function httpsOf(url: string | null, httpsUrl: string | null): string | null {
  if (!url || !httpsUrl) return null;
  const u = new URL(url);
  const h = new URL(httpsUrl);
  h.pathname = u.pathname;
  return h.toString();
}

/** The login of a paired account, as a list and as a QR code: the server address (with the
 *  encrypted one and its certificate's fingerprint, where the account offers them), the user
 *  name and the password, then any rows of the kind of account (`children`). */
function LoginFacts({ account, protocol, https, children }: { account: PairedAccount; protocol: 'SyncML' | 'CardDAV'; https: boolean; children?: ReactNode }) {
  const server = (https ? account.httpsUrl : null) ?? account.url ?? '';
  const fingerprint = https ? account.fingerprint : null;
  const qrText = `${protocol} server: ${server}\nUser name: ${account.user}\nPassword: ${account.password}${fingerprint ? `\nCertificate SHA-256: ${fingerprint}` : ''}`;
  const encrypted = https && account.httpsUrl;
  return (
    <div className="account-grid">
      <dl className="facts account">
        {encrypted && (
          <div>
            <dt>Server address, encrypted (HTTPS)</dt>
            <dd>
              <code data-testid="pair-https-url">{account.httpsUrl}</code>
            </dd>
          </div>
        )}
        {fingerprint && (
          <div>
            <dt>Certificate fingerprint (SHA-256)</dt>
            <dd>
              <code data-testid="pair-fingerprint" className="fingerprint">
                {fingerprint}
              </code>
            </dd>
          </div>
        )}
        <div>
          <dt>{encrypted ? 'Server address, plain (HTTP)' : 'Server address (URL)'}</dt>
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
        {children}
      </dl>
      <figure className="qr-figure">
        <QrCode text={qrText} label={`QR code of the server address, user name and password for ${account.name}`} />
        <figcaption className="muted small">A phone with a camera can scan these details.</figcaption>
      </figure>
    </div>
  );
}

/** What to type into the device, once it is paired; focused so a screen reader reads it. */
function AccountCard({ account, close }: { account: PairedAccount; close: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="account-card" data-testid="pair-account">
      <h4 ref={heading} tabIndex={-1}>
        {account.name} is paired. Enter these in its sync settings:
      </h4>
      <LoginFacts account={account} protocol="SyncML" https={false}>
        <div>
          <dt>Address book (database)</dt>
          <dd>
            <code>addressbook</code> (most names with “contact” or “card” work too)
          </dd>
        </div>
      </LoginFacts>
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

/** What to type into a CardDAV contacts app, client by client, once the account is paired. */
function CarddavCard({ account, close }: { account: PairedAccount; close: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const server = account.httpsUrl ?? account.url ?? '';
  const host = server ? new URL(server).host : '';
  return (
    <div className="account-card" data-testid="pair-account">
      <h4 ref={heading} tabIndex={-1}>
        {account.name} is paired. Add a CardDAV account with these details:
      </h4>
      <LoginFacts account={account} protocol="CardDAV" https />
      {account.fingerprint && (
        <p className="muted small">
          Concord makes its own certificate, so the device warns that it cannot check who the server is. Continue only if the fingerprint it shows is the one above.
        </p>
      )}
      <h5>On each kind of device</h5>
      <ul className="steps client-steps">
        <li>
          <strong>iPhone or iPad:</strong> Settings → Contacts → Accounts → Add Account → Other → Add CardDAV Account. Server: <code>{host}</code>, then the user name
          and password. If it says it cannot connect with SSL, turn SSL off under Advanced Settings and use port <code>{account.url ? new URL(account.url).port : ''}</code>.
        </li>
        <li>
          <strong>Mac:</strong> Contacts → Settings → Accounts → + → Other Contacts Account → CardDAV, account type “Manual”, with the user name, password and server
          address <code>{host}</code>.
        </li>
        <li>
          <strong>Android with DAVx⁵:</strong> + → Login with URL and user name, with the server address above (HTTPS), the user name and password; accept the
          certificate when its fingerprint matches.
        </li>
        <li>
          <strong>Thunderbird:</strong> Address Book → New Address Book → Add CardDAV Address Book, with the user name and the server address above; the password when
          asked.
        </li>
        <li>
          <strong>GNOME, KDE, vdirsyncer:</strong> a CardDAV or WebDAV account with the server address, user name and password above.
        </li>
      </ul>
      <p className="muted small">
        Changes on the device are synced as soon as it sends them. Write the password down now: Concord keeps only a check of it, so it is not shown again (pair the
        account again to choose a new one).
      </p>
      <div className="toolbar">
        <button type="button" className="primary" onClick={close}>
          Done
        </button>
      </div>
    </div>
  );
}
