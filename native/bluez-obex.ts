// PBAP through BlueZ's OBEX daemon (obexd, org.bluez.obex on the session bus): pull a
// phone's phonebook into a file, as a car kit does. Nothing here knows about contacts: the
// result is the vCard text of one phonebook, complete, or an error.
//
// One pull: Client1.CreateSession(address, {Target: "pbap"}) → a Session1 object that also
// has PhonebookAccess1; Select(location, "pb") (location "int" = the phone's memory,
// "sim1" = its SIM card); PullAll(targetFile, {Format: "vcard30"}) → a Transfer1 object
// whose Status goes queued → active → complete (the file is then whole) or error (the phone
// left range, refused, or the link broke). Client1.RemoveSession at the end, whatever
// happened. A transfer that errors, disappears, or makes no progress for `stallMs` is a
// failed pull: the part of the file already written is deleted, never returned.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Variant, type Message, type MessageBus } from 'dbus-next';
import { callMethod, connectBus, plain } from './bluez';

const OBEX = 'org.bluez.obex';
const CLIENT = 'org.bluez.obex.Client1';
const PBAP = 'org.bluez.obex.PhonebookAccess1';
const TRANSFER = 'org.bluez.obex.Transfer1';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';

export type PbapLocation = 'int' | 'sim1';

/** The pull did not complete: nothing of it may be used. `cut`: the link went (out of range,
 *  transfer error, session gone, stalled); otherwise the phone or obexd refused. */
export class PbapPullError extends Error {
  constructor(
    message: string,
    readonly cut: boolean,
  ) {
    super(message);
    this.name = 'PbapPullError';
  }
}

export interface ObexOptions {
  /** The session bus obexd is on (default: DBUS_SESSION_BUS_ADDRESS). */
  busAddress?: string;
  /** No progress on a transfer for this long = the link is gone; default 30 s. */
  stallMs?: number;
}

export interface PulledPhonebook {
  location: PbapLocation;
  /** The vCards as the phone sent them (UTF-8 for vCard 3.0; 2.1 cards carry their own
   *  CHARSET and QUOTED-PRINTABLE, decoded by the codec). */
  bytes: Buffer;
}

export class ObexClient {
  private constructor(
    private readonly bus: MessageBus,
    private readonly stallMs: number,
  ) {
    bus.on('message', (m: Message) => this.onMessage(m));
  }

  private readonly watchers = new Set<(m: Message) => void>();

  /** Connects to the session bus; rejects when there is none (no desktop session). */
  static async open(opts: ObexOptions = {}): Promise<ObexClient> {
    const address = opts.busAddress ?? process.env.DBUS_SESSION_BUS_ADDRESS;
    if (!address) throw new PbapPullError('No session bus: the Bluetooth OBEX service (obexd) cannot be reached.', false);
    const bus = await connectBus(address);
    const c = new ObexClient(bus, opts.stallMs ?? 30_000);
    const match = (rule: string) => callMethod(bus, { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [rule] });
    await match(`type='signal',sender='${OBEX}',interface='${PROPERTIES}',member='PropertiesChanged'`);
    await match(`type='signal',sender='${OBEX}',interface='${OBJECT_MANAGER}',member='InterfacesRemoved'`);
    return c;
  }

  close(): void {
    this.bus.disconnect();
  }

  private onMessage(m: Message): void {
    if (m.type !== 4) return;
    for (const w of this.watchers) w(m);
  }

  /**
   * Reads the phonebooks at `locations` of the phone at `address` in one OBEX session. A
   * location the phone does not offer (Select refused: no SIM phonebook) is left out of the
   * result; any other failure rejects with PbapPullError and returns nothing.
   */
  async pull(address: string, locations: readonly PbapLocation[] = ['int']): Promise<PulledPhonebook[]> {
    let session: string;
    try {
      const [p] = await callMethod(this.bus, {
        destination: OBEX,
        path: '/org/bluez/obex',
        interface: CLIENT,
        member: 'CreateSession',
        signature: 'sa{sv}',
        body: [address, { Target: new Variant('s', 'pbap') }],
      });
      session = String(p);
    } catch (e) {
      throw new PbapPullError(`The phone did not open a phonebook session: ${(e as Error).message}`, true);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-pbap-'));
    try {
      const out: PulledPhonebook[] = [];
      for (const location of locations) {
        try {
          await callMethod(this.bus, { destination: OBEX, path: session, interface: PBAP, member: 'Select', signature: 'ss', body: [location, 'pb'] });
        } catch (e) {
          if (location === 'int') throw new PbapPullError(`The phone refused to open its phonebook: ${(e as Error).message}`, false);
          continue; // no SIM phonebook offered
        }
        out.push({ location, bytes: await this.pullAll(session, path.join(dir, `${location}.vcf`)) });
      }
      return out;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await callMethod(this.bus, { destination: OBEX, path: '/org/bluez/obex', interface: CLIENT, member: 'RemoveSession', signature: 'o', body: [session] }).catch(() => undefined);
    }
  }

  private async pullAll(session: string, target: string): Promise<Buffer> {
    // The watcher is in place before PullAll, so a transfer that completes at once is seen.
    let transfer: string | null = null;
    const early: Message[] = [];
    let settle: ((status: 'complete' | 'error' | 'gone') => void) | null = null;
    let lastProgress = Date.now();
    const watcher = (m: Message) => {
      if (transfer === null) {
        early.push(m);
        return;
      }
      handle(m);
    };
    const handle = (m: Message) => {
      if (m.interface === PROPERTIES && m.member === 'PropertiesChanged' && m.path === transfer && m.body[0] === TRANSFER) {
        const props = plain(m.body[1]) as Record<string, unknown>;
        lastProgress = Date.now();
        if (props.Status === 'complete' || props.Status === 'error') settle?.(props.Status);
      } else if (m.interface === OBJECT_MANAGER && m.member === 'InterfacesRemoved' && (m.body[0] === transfer || m.body[0] === session)) {
        settle?.('gone');
      }
    };
    this.watchers.add(watcher);
    try {
      let props: Record<string, unknown>;
      try {
        const [p, pr] = await callMethod(this.bus, {
          destination: OBEX,
          path: session,
          interface: PBAP,
          member: 'PullAll',
          signature: 'sa{sv}',
          body: [target, { Format: new Variant('s', 'vcard30') }],
        });
        transfer = String(p);
        props = plain(pr) as Record<string, unknown>;
      } catch (e) {
        throw new PbapPullError(`The phone refused to send its phonebook: ${(e as Error).message}`, false);
      }
      const file = typeof props.Filename === 'string' && props.Filename ? props.Filename : target;
      let timer: NodeJS.Timeout | undefined;
      const status = await new Promise<'complete' | 'error' | 'gone'>((resolve) => {
        settle = resolve;
        timer = setInterval(() => {
          if (Date.now() - lastProgress > this.stallMs) resolve('gone');
        }, Math.min(1000, this.stallMs));
        timer.unref();
        if (props.Status === 'complete' || props.Status === 'error') resolve(props.Status);
        for (const m of early.splice(0)) handle(m);
      }).finally(() => clearInterval(timer));
      if (status !== 'complete') {
        this.discard(file, target);
        await callMethod(this.bus, { destination: OBEX, path: transfer, interface: TRANSFER, member: 'Cancel' }).catch(() => undefined);
        throw new PbapPullError(status === 'error' ? 'The phonebook transfer failed (the phone left range or the link broke).' : 'The phonebook transfer stopped (the phone left range).', true);
      }
      try {
        return fs.readFileSync(file);
      } finally {
        this.discard(file, target);
      }
    } finally {
      this.watchers.delete(watcher);
    }
  }

  /** Deletes the transfer's file: ours always; obexd's own temporary file too. */
  private discard(file: string, target: string): void {
    for (const f of new Set([file, target])) fs.rmSync(f, { force: true });
  }
}
