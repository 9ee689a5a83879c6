// A private D-Bus for the Bluetooth tests: a dbus-daemon of our own on a socket in a temp
// folder, and python-dbusmock's `bluez5` (bluetoothd) and `bluez5-obex` (obexd) templates
// on it. The test drives the mocks through their Mock interfaces with dbus-next. Both
// the "system" and the "session" bus of the mocks are this one bus. `bluetoothFixture`
// starts it before each test with a data folder, and closes what the test opened after it.
//
// What the templates do not do, and the tests add through dbusmock's generic
// org.freedesktop.DBus.Mock interface (UpdateProperties, AddMethod) instead of faking
// Concord's side:
// - bluez5's PairDevice gives every device an Android phone's UUIDs; a handset with a
//   serial port profile gets its UUIDs and class set with UpdateProperties.
// - bluez5's GetManagedObjects keeps Class 0 after PairDevice (only the signal carries the
//   class), so the class is set with UpdateProperties too.
// - bluez5-obex's transfer can only become `active` or `complete`; a transfer that fails
//   half-way is set to Status `error` with UpdateProperties.
// - bluez5-obex's Select is a no-op for every location; which phonebook a pull is for is
//   read back from the session's recorded Select calls (GetMethodCalls).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Variant, type MessageBus } from 'dbus-next';
import { afterEach, beforeEach } from 'vitest';
import { BluetoothManager, type BluetoothManagerOptions } from '../../main/app/bluetooth';
import { Hub } from '../../main/hub/hub';
import { callMethod, connectBus } from '../../native/bluez';
import { tmpDir } from './tmp';

export const PYTHON = '/usr/bin/python3';

export function havePeers(): boolean {
  if (!fs.existsSync(PYTHON) || !fs.existsSync('/usr/bin/dbus-daemon')) return false;
  return fs.existsSync('/usr/lib/python3/dist-packages/dbusmock');
}

export interface PrivateBus {
  address: string;
  dir: string;
  /** A client connection for driving the mocks. */
  bus: MessageBus;
  /** bluez5; with `serialSocket`, the test template whose serial profiles connect there. */
  startBluez(opts?: { serialSocket?: string }): Promise<ChildProcess>;
  startObex(): Promise<ChildProcess>;
  stop(): Promise<void>;
}

function waitFor(pred: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await pred().catch(() => false)) return resolve();
      if (Date.now() > until) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), 50);
    };
    void tick();
  });
}

export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-dbus-'));
  const address = `unix:path=${path.join(dir, 'bus')}`;
  // dbus-daemon prints its address once it listens: the socket file alone appears at bind,
  // before listen, and a connection then is refused.
  const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1', `--address=${address}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const children: ChildProcess[] = [daemon];
  let listening = false;
  daemon.stdout!.once('data', () => (listening = true));
  await waitFor(async () => listening, 5000, 'dbus-daemon');
  const bus = await connectBus(address);
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: address, DBUS_SESSION_BUS_ADDRESS: address };
  const hasName = async (name: string) => {
    const [has] = await callMethod(bus, { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameHasOwner', signature: 's', body: [name] });
    return has === true;
  };
  const startMock = async (template: string, name: string, params?: Record<string, unknown>) => {
    const args = ['-m', 'dbusmock', '--template', template, ...(params ? ['--parameters', JSON.stringify(params)] : [])];
    const child = spawn(PYTHON, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    children.push(child);
    // The name is taken before the template has added its objects: wait for those too.
    const ready = async () => {
      if (!(await hasName(name))) return false;
      const [objects] = await callMethod(bus, { destination: name, path: '/', interface: 'org.freedesktop.DBus.ObjectManager', member: 'GetManagedObjects' });
      return Object.keys(objects as object).some((p) => p.startsWith('/org/bluez'));
    };
    await waitFor(ready, 10_000, `${template} (${err})`);
    return child;
  };
  return {
    address,
    dir,
    bus,
    startBluez: (o) =>
      o?.serialSocket ? startMock(path.join(import.meta.dirname, 'bluez5_serial.py'), 'org.bluez', { serial_socket: o.serialSocket }) : startMock('bluez5', 'org.bluez'),
    startObex: () => startMock('bluez5-obex', 'org.bluez.obex'),
    stop: async () => {
      bus.disconnect();
      for (const c of children.reverse()) {
        if (c.exitCode === null && c.signalCode === null) {
          const gone = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          await gone;
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stops one mock as a service stop would (its name loses its owner). */
export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await gone;
}

// ---- bluez5 --------------------------------------------------------------------------------

export function bluezMock(bus: MessageBus) {
  const mock = (member: string, signature: string, body: unknown[]) => callMethod(bus, { destination: 'org.bluez', path: '/', interface: 'org.bluez.Mock', member, signature, body });
  const devPath = (adapter: string, address: string) => `/org/bluez/${adapter}/dev_${address.replace(/:/g, '_').toUpperCase()}`;
  const addDevice = (adapter: string, address: string, alias: string) => mock('AddDevice', 'sss', [adapter, address, alias]);
  const pairDevice = (adapter: string, address: string, cls = 5898764) => mock('PairDevice', 'ssi', [adapter, address, cls]);
  /** What the template cannot say: another set of profiles, the class of a handset. */
  const setDevice = (adapter: string, address: string, props: { uuids?: string[]; deviceClass?: number }) => {
    const p: Record<string, Variant> = {};
    if (props.uuids) p.UUIDs = new Variant('as', props.uuids);
    if (props.deviceClass !== undefined) p.Class = new Variant('u', props.deviceClass);
    return callMethod(bus, { destination: 'org.bluez', path: devPath(adapter, address), interface: 'org.freedesktop.DBus.Mock', member: 'UpdateProperties', signature: 'sa{sv}', body: ['org.bluez.Device1', p] });
  };
  return {
    addAdapter: (name: string, alias: string) => mock('AddAdapter', 'ss', [name, alias]),
    addDevice,
    pairDevice,
    /** A device paired in the system's settings: added, paired, and `props` set. */
    async pairedDevice(adapter: string, address: string, alias: string, props?: { uuids?: string[]; deviceClass?: number; pairClass?: number }): Promise<void> {
      await addDevice(adapter, address, alias);
      await pairDevice(adapter, address, props?.pairClass);
      if (props?.uuids || props?.deviceClass !== undefined) await setDevice(adapter, address, props);
    },
    connectDevice: (adapter: string, address: string) => mock('ConnectDevice', 'ss', [adapter, address]),
    disconnectDevice: (adapter: string, address: string) => mock('DisconnectDevice', 'ss', [adapter, address]),
    removeDevice: (adapter: string, address: string) =>
      callMethod(bus, { destination: 'org.bluez', path: `/org/bluez/${adapter}`, interface: 'org.bluez.Adapter1', member: 'RemoveDevice', signature: 'o', body: [devPath(adapter, address)] }),
    setDevice,
    devPath,
  };
}

// ---- bluez5-obex ---------------------------------------------------------------------------

export interface TransferRequest {
  transfer: string;
  session: string;
  /** The location the session last selected (`int`, `sim1`). */
  location: string;
  file: string;
}

export function obexMock(bus: MessageBus) {
  const transferMock = (transfer: string, member: string, signature: string, body: unknown[]) =>
    callMethod(bus, { destination: 'org.bluez.obex', path: transfer, interface: 'org.bluez.obex.transfer1.Mock', member, signature, body });
  return {
    /** Calls `fn` for every PullAll the client makes (the template's TransferCreated). */
    async onTransfer(fn: (t: TransferRequest) => Promise<void>): Promise<() => void> {
      await callMethod(bus, {
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: ["type='signal',interface='org.bluez.obex.Mock',member='TransferCreated'"],
      });
      const listener = (m: { type: number; interface: string; member: string; body: unknown[] }) => {
        if (m.type !== 4 || m.interface !== 'org.bluez.obex.Mock' || m.member !== 'TransferCreated') return;
        const [transfer, , file] = m.body as [string, unknown, string];
        const session = transfer.slice(0, transfer.lastIndexOf('/'));
        void (async () => {
          const [calls] = await callMethod(bus, { destination: 'org.bluez.obex', path: session, interface: 'org.freedesktop.DBus.Mock', member: 'GetMethodCalls', signature: 's', body: ['Select'] });
          const selects = calls as [bigint, unknown[]][];
          const last = selects[selects.length - 1]?.[1] ?? [];
          const loc = last[0] as { value?: unknown } | string | undefined;
          const location = typeof loc === 'string' ? loc : String((loc as { value?: unknown })?.value ?? 'int');
          await fn({ transfer, session, location, file });
        })().catch((e) => console.error('transfer driver:', e));
      };
      bus.on('message', listener);
      return () => bus.off('message', listener);
    },
    /** Writes the phonebook and marks the transfer complete. */
    async complete(t: TransferRequest, vcf: string | Buffer): Promise<void> {
      fs.writeFileSync(t.file, vcf);
      await transferMock(t.transfer, 'UpdateStatus', 'b', [true]);
    },
    /** Writes part of the phonebook, reports progress, then fails as a link that broke. */
    async failHalfway(t: TransferRequest, vcf: string | Buffer): Promise<void> {
      const b = Buffer.from(vcf);
      fs.writeFileSync(t.file, b.subarray(0, Math.floor(b.length / 2)));
      await transferMock(t.transfer, 'UpdateStatus', 'b', [false]);
      await callMethod(bus, {
        destination: 'org.bluez.obex',
        path: t.transfer,
        interface: 'org.freedesktop.DBus.Mock',
        member: 'UpdateProperties',
        signature: 'sa{sv}',
        body: ['org.bluez.obex.Transfer1', { Status: new Variant('s', 'error') }],
      });
    },
  };
}

// ---- the fixture ---------------------------------------------------------------------------

/**
 * Before each test: a data folder and a private bus, with bluez5 and bluez5-obex when asked
 * (`bluezd` is the bluez5 process, to stop as the service would). After it: the Bluetooth
 * managers, hubs and anything else handed to `onClose`, the last opened first; then the bus
 * and the folder. `const bt = bluetoothFixture('bt-manager', { bluez: true, obex: true })`
 * at the top of a describe.
 */
export function bluetoothFixture(tag: string, start: { bluez?: boolean; obex?: boolean } = {}) {
  let pb: PrivateBus | null = null;
  let dir = '';
  let bluezd: ChildProcess | null = null;
  const closers: (() => unknown)[] = [];
  beforeEach(async () => {
    dir = tmpDir(tag);
    pb = await startPrivateBus();
    if (start.bluez) bluezd = await pb.startBluez();
    if (start.obex) await pb.startObex();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await pb?.stop();
    pb = null;
    bluezd = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const bus = (): PrivateBus => {
    if (!pb) throw new Error('the private bus is started before each test');
    return pb;
  };
  const fixture = {
    get pb(): PrivateBus {
      return bus();
    },
    get dir(): string {
      return dir;
    },
    get bluezd(): ChildProcess {
      if (!bluezd) throw new Error('bluez5 was not started by the fixture');
      return bluezd;
    },
    /** Closed after the test, before the bus (the last handed over first). */
    onClose<T>(thing: T, close: (t: T) => unknown): T {
      closers.push(() => close(thing));
      return thing;
    },
    /** A hub on the test's data folder (region GB). */
    openHub(): Hub {
      return fixture.onClose(Hub.open({ dataDir: dir, region: 'GB' }), (h) => h.close());
    },
    /** The app's Bluetooth manager on the private bus (its log silent). */
    async startManager(hub: Hub, opts: BluetoothManagerOptions = {}): Promise<BluetoothManager> {
      const m = await BluetoothManager.start(hub, { busAddress: bus().address, obexBusAddress: bus().address, log: () => undefined, ...opts });
      return fixture.onClose(m, (x) => x.close());
    },
  };
  return fixture;
}
