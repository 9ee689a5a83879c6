// Everything that lives with the hub, whichever thread or process it runs in: the Hub on its
// SQLite file, the API handlers, the SyncML LAN endpoint (only when asked), the phones
// plugged in (sync on connect), and the demo devices. `concord serve` runs it on its main
// thread (its HTTP/WebSocket server in a worker, server-worker.ts; serialport cannot live in
// a worker), the Electron app in a utility process (hub-host.ts), tests in-process.
import { mkdirSync } from 'node:fs';
import { Api, ApiError, type DeviceServices } from '../api/handlers';
import { PairError, pairSyncmlDevice } from '../devices/syncml/pair';
import { syncmlConfigOf } from '../devices/syncml/device-config';
import { Hub } from '../hub/hub';
import { lockFolder, type FolderLock } from './folder-lock';
import { setUpDemo, startDemoPhone, type Demo, type DemoPhone } from './demo';
import { LanController } from './host-lan';
import type { BluetoothStatus } from '../api/contract';
import { BluetoothManager, type BluetoothManagerOptions } from './bluetooth';
import { PhoneManager, type PhoneManagerOptions } from './phones';

export interface HostOptions {
  dataDir: string;
  /** The demo devices (an object: with a shorter delay per operation, for tests). */
  demo?: boolean | { opDelayMs?: number };
  /** With demo: a simulated handset on a socat pty pair (skipped without socat). */
  demoPhone?: boolean;
  /** Start the SyncML endpoint here for this run (else as Settings last left it). */
  lan?: { host: string; port: number; sessionTimeoutMs?: number; publicUrl?: string };
  /** Where LAN sync binds when Settings turns it on (default 0.0.0.0; `lan.host` if given). */
  lanHost?: string;
  /** LAN sync's HTTPS port (0: any free port; false: no HTTPS; default: the HTTP port + 1). */
  lanHttpsPort?: number | false;
  /** Announce CardDAV on the network (mDNS/DNS-SD) while LAN sync is on (default true). */
  lanMdns?: boolean;
  /** Watch serial ports for phones (default on); false: off; an object: watcher options. */
  phones?: boolean | PhoneManagerOptions;
  /** Watch Bluetooth devices through BlueZ (default on); false: off; an object: options. */
  bluetooth?: boolean | BluetoothManagerOptions;
  version?: string;
  log?: (line: string) => void;
}

export interface HubHost {
  hub: Hub;
  api: Api;
  /** The SyncML URL now (LAN sync can be switched while the hub runs). */
  readonly lanUrl: string | null;
  lan: LanController;
  phones: PhoneManager | null;
  bluetooth: BluetoothManager | null;
  demoPhone: DemoPhone | null;
  /** The hub's hold on its data folder (folder-lock.ts). */
  lock: FolderLock;
  /** LAN endpoint first, then the hub (a run stops at its next acknowledgement), then the
   *  phones' links and the demo phone. */
  close(): Promise<void>;
}

/** The API's SyncML pairing (`devices:pairSyncml`), over the SyncML adapter's pairing. */
export function syncmlPairing(hub: Hub): DeviceServices['pairSyncml'] {
  return (name, user, password) => {
    try {
      const isNew = !hub.devices().some((x) => x.kind === 'syncml' && syncmlConfigOf(x)?.user === user);
      const d = pairSyncmlDevice(hub, name, user, password);
      // A SyncML client starts its own sessions: it syncs whenever it connects, by itself.
      if (isNew) hub.setAutoSync(d.spid, true);
      return { spid: d.spid };
    } catch (e) {
      if (e instanceof PairError) throw new ApiError('invalid', e.message);
      throw e;
    }
  };
}

export async function startHost(opts: HostOptions): Promise<HubHost> {
  const log = opts.log ?? ((s: string) => console.log(s));
  mkdirSync(opts.dataDir, { recursive: true });
  const lock = lockFolder(opts.dataDir);
  let hub: Hub;
  try {
    hub = Hub.open({ dataDir: opts.dataDir, autoReconcileEdits: true });
  } catch (e) {
    lock.release();
    throw e;
  }
  const lan = new LanController(hub, {
    dataDir: opts.dataDir,
    host: opts.lan?.host ?? opts.lanHost ?? '0.0.0.0',
    ...(opts.lan?.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.lan.sessionTimeoutMs } : {}),
    ...(opts.lan?.publicUrl !== undefined ? { publicUrl: opts.lan.publicUrl } : {}),
    ...(opts.lanHttpsPort !== undefined ? { httpsPort: opts.lanHttpsPort } : {}),
    ...(opts.lanMdns !== undefined ? { mdns: opts.lanMdns } : {}),
    log,
  });
  let demo: Demo | undefined;
  let demoPhone: DemoPhone | null = null;
  let phones: PhoneManager | null = null;
  let bluetooth: BluetoothManager | null = null;
  try {
    if (opts.lan) await lan.startNow(opts.lan.port);
    else await lan.restore();
    if (opts.demo) demo = await setUpDemo(hub, { dataDir: opts.dataDir, ...(typeof opts.demo === 'object' ? opts.demo : {}) });
    if (opts.demo && opts.demoPhone) demoPhone = await startDemoPhone(log, opts.dataDir);
    if (opts.phones !== false) {
      const po: PhoneManagerOptions = typeof opts.phones === 'object' ? { ...opts.phones } : {};
      if (demoPhone) po.extraPaths = [...(po.extraPaths ?? []), demoPhone.path];
      phones = new PhoneManager(hub, { log, ...po });
    }
    // Never fails for want of Bluetooth: without BlueZ its status says why.
    if (opts.bluetooth !== false) bluetooth = await BluetoothManager.start(hub, { log, ...(typeof opts.bluetooth === 'object' ? opts.bluetooth : {}) });
  } catch (e) {
    await lan.close().catch(() => undefined);
    await bluetooth?.close().catch(() => undefined);
    demo?.dispose();
    await hub.close();
    await demoPhone?.close();
    lock.release();
    throw e;
  }
  const api = new Api({
    hub,
    dataDir: opts.dataDir,
    demo: !!opts.demo,
    ...(opts.version ? { version: opts.version } : {}),
    devices: {
      lanUrl: () => lan.lan().url,
      discovered: () => phones?.discovered() ?? [],
      pairPhone: async (spid, autoSync, name) => {
        if (!phones) throw new Error('Phones are not watched here.');
        await phones.pairPhone(spid, autoSync, name);
      },
      ignorePhone: (spid) => phones?.ignorePhone(spid),
      pairSyncml: syncmlPairing(hub),
      onDiscovered: (fn) => phones?.onDiscovered(fn) ?? (() => undefined),
      ...(bluetooth
        ? {
            bluetooth: {
              status: () => bluetooth!.status(),
              pair: (address: string, autoSync: boolean) => bluetooth!.pair(address, autoSync),
              onChanged: (fn: (s: BluetoothStatus) => void) => bluetooth!.onChanged(fn),
            },
          }
        : {}),
    },
    lan,
  });
  let closing: Promise<void> | null = null;
  return {
    hub,
    api,
    get lanUrl() {
      return lan.lan().url;
    },
    lan,
    phones,
    bluetooth,
    demoPhone,
    lock,
    close: () =>
      (closing ??= (async () => {
        phones?.stopWatching();
        await lan.close();
        api.dispose();
        await hub.close();
        demo?.dispose(); // after the hub: the demo devices keep every acknowledgement it counted
        await phones?.closeLinks();
        await bluetooth?.close();
        await demoPhone?.close();
        lock.release();
      })()),
  };
}

