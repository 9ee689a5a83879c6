// BlueZ over D-Bus (Linux): the Bluetooth adapters and the devices paired with this
// computer, their profiles, and their comings and goings. Nothing here knows about contacts
// or sync points: a device appears, connects, disconnects, goes (style.md, layers).
//
// BlueZ publishes everything under one ObjectManager (org.bluez at /): Adapter1 objects
// (/org/bluez/hci0) and Device1 objects (/org/bluez/hci0/dev_AA_BB_…). A client reads them
// all once (GetManagedObjects) and then keeps up with three signals: InterfacesAdded,
// InterfacesRemoved and PropertiesChanged (Connected, Paired, UUIDs, RSSI…). When the
// service stops, its name loses its owner (NameOwnerChanged) and every object is gone.
//
// dbus-next is pure JavaScript; it cannot pass a file descriptor without a native socket
// module, so the RFCOMM socket of a serial profile is received by a helper process
// (rfcomm-link.ts), never here.
import { EventEmitter } from 'node:events';
import dbus, { Message, Variant, type MessageBus } from 'dbus-next';

const BLUEZ = 'org.bluez';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const ADAPTER = 'org.bluez.Adapter1';
const DEVICE = 'org.bluez.Device1';

/** Service class UUIDs (Bluetooth assigned numbers, 16-bit in the base UUID). */
export const BT_UUID = {
  serialPort: '00001101-0000-1000-8000-00805f9b34fb',
  dialupNetworking: '00001103-0000-1000-8000-00805f9b34fb',
  obexObjectPush: '00001105-0000-1000-8000-00805f9b34fb',
  pbapServer: '0000112f-0000-1000-8000-00805f9b34fb',
} as const;

export interface BtAdapter {
  path: string;
  address: string;
  name: string;
  powered: boolean;
}

export interface BtDevice {
  /** D-Bus object path: /org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF. */
  path: string;
  /** The adapter's object path. */
  adapter: string;
  address: string;
  /** What the user called it (BlueZ's Alias), else the name it announces. */
  name: string;
  /** Class of Device (24 bits); 0 when unknown. */
  deviceClass: number;
  icon: string;
  paired: boolean;
  connected: boolean;
  trusted: boolean;
  blocked: boolean;
  /** Service class UUIDs, lower case. */
  uuids: string[];
}

export type BluezUnavailable = 'platform' | 'no-bus' | 'no-service' | 'no-adapter';

export interface BluezState {
  /** Null when Bluetooth devices can be listed; otherwise why not. */
  unavailable: BluezUnavailable | null;
  /** One plain sentence for the user (empty when available). */
  reason: string;
  adapters: BtAdapter[];
  /** Every device BlueZ knows, paired or not (callers filter). */
  devices: BtDevice[];
}

export interface BluezOptions {
  /** The system bus (default: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket). */
  busAddress?: string;
  /** Pretend to be on this platform (tests of the "other OS" line). */
  platform?: NodeJS.Platform;
}

export const SYSTEM_BUS_DEFAULT = 'unix:path=/var/run/dbus/system_bus_socket';

const REASONS: Record<BluezUnavailable, string> = {
  platform: 'Concord lists Bluetooth devices through BlueZ, on Linux. Here, pair the phone in the system settings: its serial port then appears with the phones plugged in.',
  'no-bus': 'The system message bus (D-Bus) is not reachable, so Concord cannot see Bluetooth devices.',
  'no-service': 'The Bluetooth service (bluetoothd) is not running. Start it, and the paired devices appear here.',
  'no-adapter': 'No Bluetooth adapter is present on this computer.',
};

type Props = Record<string, unknown>;

/** Turns dbus-next's Variants (and nested ones) into plain values. */
export function plain(v: unknown): unknown {
  if (v instanceof Variant) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Buffer) && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Props = {};
    for (const [k, x] of Object.entries(v as Props)) out[k] = plain(x);
    return out;
  }
  return v;
}

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const bool = (v: unknown): boolean => v === true;
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);

function adapterOf(path: string, p: Props): BtAdapter {
  return { path, address: str(p.Address), name: str(p.Alias) || str(p.Name) || path.split('/').pop()!, powered: bool(p.Powered) };
}

function deviceOf(path: string, p: Props): BtDevice {
  return {
    path,
    adapter: str(p.Adapter) || path.split('/').slice(0, -1).join('/'),
    address: str(p.Address).toUpperCase(),
    name: str(p.Alias) || str(p.Name) || str(p.Address),
    deviceClass: num(p.Class),
    icon: str(p.Icon),
    paired: bool(p.Paired),
    connected: bool(p.Connected),
    trusted: bool(p.Trusted),
    blocked: bool(p.Blocked),
    uuids: Array.isArray(p.UUIDs) ? (p.UUIDs as unknown[]).map((u) => String(u).toLowerCase()) : [],
  };
}

/** Sends one method call and returns the reply's body; a D-Bus error rejects. */
export async function callMethod(bus: MessageBus, m: { destination: string; path: string; interface: string; member: string; signature?: string; body?: unknown[] }): Promise<unknown[]> {
  const reply = await bus.call(new Message({ ...m, body: m.body ?? [] }));
  return reply?.body ?? [];
}

/** Opens a connection to the bus at `address`; rejects if it cannot be reached. */
export function connectBus(address: string): Promise<MessageBus> {
  return new Promise((resolve, reject) => {
    let bus: MessageBus;
    try {
      bus = dbus.sessionBus({ busAddress: address });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const onError = (e: unknown) => {
      bus.off('connect', onConnect);
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const onConnect = () => {
      bus.off('error', onError);
      bus.on('error', () => undefined); // a bus that goes away later ends the connection; watchers notice
      resolve(bus);
    };
    bus.once('error', onError);
    bus.once('connect', onConnect);
  });
}

/**
 * The adapters and devices BlueZ knows, kept current. `open` never throws: without BlueZ
 * the state says why (a clear line for the user), and the watcher keeps listening for the
 * service to start.
 *
 * Events: `changed` (the full state), `connected` / `disconnected` (a paired device came in
 * or left range: BlueZ's Connected), `removed` (a device unpaired or forgotten).
 */
export class Bluez extends EventEmitter {
  private bus: MessageBus | null = null;
  private readonly adapters = new Map<string, BtAdapter>();
  private readonly devices = new Map<string, BtDevice>();
  private unavailable: BluezUnavailable | null = null;
  private closed = false;
  private loading: Promise<void> | null = null;

  private constructor(private readonly opts: BluezOptions) {
    super();
  }

  static async open(opts: BluezOptions = {}): Promise<Bluez> {
    const b = new Bluez(opts);
    await b.start();
    return b;
  }

  get connection(): MessageBus | null {
    return this.bus;
  }

  state(): BluezState {
    const unavailable = this.unavailable ?? (this.adapters.size === 0 ? 'no-adapter' : null);
    return {
      unavailable,
      reason: unavailable ? REASONS[unavailable] : '',
      adapters: [...this.adapters.values()].sort((a, b) => a.path.localeCompare(b.path)),
      devices: [...this.devices.values()].sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address)),
    };
  }

  device(pathOrAddress: string): BtDevice | undefined {
    const d = this.devices.get(pathOrAddress);
    if (d) return d;
    const a = pathOrAddress.toUpperCase();
    return [...this.devices.values()].find((x) => x.address === a);
  }

  /** Connects one profile of a device (BlueZ starts it; for a serial profile registered by
   *  this computer, the socket arrives through the profile's NewConnection). */
  async connectProfile(devicePath: string, uuid: string): Promise<void> {
    if (!this.bus) throw new Error(REASONS[this.unavailable ?? 'no-service']);
    await callMethod(this.bus, { destination: BLUEZ, path: devicePath, interface: DEVICE, member: 'ConnectProfile', signature: 's', body: [uuid] });
  }

  close(): void {
    this.closed = true;
    this.bus?.disconnect();
    this.bus = null;
  }

  // ---------------------------------------------------------------------------------------

  private async start(): Promise<void> {
    if ((this.opts.platform ?? process.platform) !== 'linux') {
      this.unavailable = 'platform';
      return;
    }
    const address = this.opts.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? SYSTEM_BUS_DEFAULT;
    let bus: MessageBus;
    try {
      bus = await connectBus(address);
    } catch {
      this.unavailable = 'no-bus';
      return;
    }
    if (this.closed) {
      bus.disconnect();
      return;
    }
    this.bus = bus;
    bus.on('message', (m: Message) => this.onMessage(m));
    const match = (rule: string) => callMethod(bus, { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch', signature: 's', body: [rule] });
    await match(`type='signal',sender='${BLUEZ}',interface='${OBJECT_MANAGER}'`);
    await match(`type='signal',sender='${BLUEZ}',interface='${PROPERTIES}',member='PropertiesChanged'`);
    await match(`type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${BLUEZ}'`);
    await this.reload();
  }

  /** Reads every object again (at start, and when the service (re)appears). */
  private reload(): Promise<void> {
    const job = (async () => {
      const bus = this.bus;
      if (!bus) return;
      let objects: Record<string, Record<string, Props>>;
      try {
        const [body] = await callMethod(bus, { destination: BLUEZ, path: '/', interface: OBJECT_MANAGER, member: 'GetManagedObjects' });
        objects = plain(body) as Record<string, Record<string, Props>>;
      } catch {
        this.setGone();
        return;
      }
      const before = new Map(this.devices);
      this.adapters.clear();
      this.devices.clear();
      this.unavailable = null;
      for (const [path, ifaces] of Object.entries(objects)) this.addInterfaces(path, ifaces, false);
      for (const [path, d] of before) if (!this.devices.has(path)) this.emit('removed', d);
      for (const d of this.devices.values()) {
        const was = before.get(d.path);
        if (d.connected && !was?.connected) this.emit('connected', d);
      }
      this.emit('changed', this.state());
    })();
    this.loading = job.finally(() => {
      if (this.loading === job) this.loading = null;
    });
    return job;
  }

  private setGone(): void {
    const gone = [...this.devices.values()];
    this.adapters.clear();
    this.devices.clear();
    this.unavailable = 'no-service';
    for (const d of gone) {
      if (d.connected) this.emit('disconnected', { ...d, connected: false });
    }
    this.emit('changed', this.state());
  }

  private addInterfaces(path: string, ifaces: Record<string, Props>, announce: boolean): void {
    if (ifaces[ADAPTER]) this.adapters.set(path, adapterOf(path, ifaces[ADAPTER]));
    if (ifaces[DEVICE]) {
      const d = deviceOf(path, ifaces[DEVICE]);
      this.devices.set(path, d);
      if (announce && d.connected) this.emit('connected', d);
    }
  }

  private onMessage(m: Message): void {
    if (m.type !== 4 /* signal */ || this.closed) return;
    const body = m.body ?? [];
    if (m.interface === 'org.freedesktop.DBus' && m.member === 'NameOwnerChanged') {
      const [name, , owner] = body as [string, string, string];
      if (name !== BLUEZ) return;
      if (owner) void this.reload();
      else this.setGone();
      return;
    }
    if (m.interface === OBJECT_MANAGER && m.member === 'InterfacesAdded') {
      const [path, ifaces] = [body[0] as string, plain(body[1]) as Record<string, Props>];
      this.addInterfaces(path, ifaces, true);
      this.unavailable = null;
      this.emit('changed', this.state());
      return;
    }
    if (m.interface === OBJECT_MANAGER && m.member === 'InterfacesRemoved') {
      const [path, names] = body as [string, string[]];
      let changed = false;
      if (names.includes(ADAPTER) && this.adapters.delete(path)) changed = true;
      if (names.includes(DEVICE)) {
        const d = this.devices.get(path);
        if (d) {
          this.devices.delete(path);
          if (d.connected) this.emit('disconnected', { ...d, connected: false });
          this.emit('removed', d);
          changed = true;
        }
      }
      if (changed) this.emit('changed', this.state());
      return;
    }
    if (m.interface === PROPERTIES && m.member === 'PropertiesChanged') {
      const iface = body[0] as string;
      const props = plain(body[1]) as Props;
      if (iface === ADAPTER) {
        const a = this.adapters.get(m.path);
        if (!a) return;
        this.adapters.set(m.path, { ...a, ...adapterOf(m.path, { Address: a.address, Alias: a.name, Powered: a.powered, ...props }) });
        this.emit('changed', this.state());
        return;
      }
      if (iface !== DEVICE) return;
      const d = this.devices.get(m.path);
      if (!d) return;
      const next = mergeDevice(d, props);
      this.devices.set(m.path, next);
      if (next.connected && !d.connected) this.emit('connected', next);
      if (!next.connected && d.connected) this.emit('disconnected', next);
      this.emit('changed', this.state());
    }
  }
}

function mergeDevice(d: BtDevice, p: Props): BtDevice {
  const n = { ...d };
  if ('Alias' in p || 'Name' in p) n.name = str(p.Alias) || str(p.Name) || d.name;
  if ('Class' in p) n.deviceClass = num(p.Class);
  if ('Icon' in p) n.icon = str(p.Icon);
  if ('Paired' in p) n.paired = bool(p.Paired);
  if ('Connected' in p) n.connected = bool(p.Connected);
  if ('Trusted' in p) n.trusted = bool(p.Trusted);
  if ('Blocked' in p) n.blocked = bool(p.Blocked);
  if ('UUIDs' in p && Array.isArray(p.UUIDs)) n.uuids = (p.UUIDs as unknown[]).map((u) => String(u).toLowerCase());
  return n;
}
