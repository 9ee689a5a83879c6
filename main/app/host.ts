// Everything that lives with the hub, whichever thread or process it runs in: the Hub on its
// SQLite file, the API handlers, the SyncML LAN endpoint (only when asked), the phones
// plugged in (sync on connect), and the demo devices. `concord serve` runs it on its main
// thread (its HTTP/WebSocket server in a worker, server-worker.ts; serialport cannot live in
// a worker), the Electron app in a utility process (hub-host.ts), tests in-process.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Api, ApiError, type DeviceServices } from '../api/handlers';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../devices/syncml/http';
import { PairError, pairSyncmlDevice } from '../devices/syncml/pair';
import { Hub } from '../hub/hub';
import { lockFolder, type FolderLock } from './folder-lock';
import { setUpDemo, startDemoPhone, type Demo, type DemoPhone } from './demo';
import { PhoneManager, type PhoneManagerOptions } from './phones';

export interface HostOptions {
  dataDir: string;
  /** The demo devices (an object: with a shorter delay per operation, for tests). */
  demo?: boolean | { opDelayMs?: number };
  /** With demo: a simulated handset on a socat pty pair (skipped without socat). */
  demoPhone?: boolean;
  /** Start the SyncML endpoint here (off unless given). */
  lan?: { host: string; port: number; sessionTimeoutMs?: number; publicUrl?: string };
  /** Watch serial ports for phones (default on); false: off; an object: watcher options. */
  phones?: boolean | PhoneManagerOptions;
  version?: string;
  log?: (line: string) => void;
}

export interface HubHost {
  hub: Hub;
  api: Api;
  lanUrl: string | null;
  phones: PhoneManager | null;
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
      return { spid: pairSyncmlDevice(hub, name, user, password).spid };
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
  let lan: SyncmlEndpoint | null = null;
  let demo: Demo | undefined;
  let demoPhone: DemoPhone | null = null;
  let phones: PhoneManager | null = null;
  try {
    // Sessions are kept on disk, so a client can resume one (Alert 225) after a restart.
    if (opts.lan) lan = await startSyncmlEndpoint(hub, { stateDir: path.join(opts.dataDir, 'syncml'), ...opts.lan });
    if (opts.demo) demo = await setUpDemo(hub, { dataDir: opts.dataDir, ...(typeof opts.demo === 'object' ? opts.demo : {}) });
    if (opts.demo && opts.demoPhone) demoPhone = await startDemoPhone(log);
    if (opts.phones !== false) {
      const po: PhoneManagerOptions = typeof opts.phones === 'object' ? { ...opts.phones } : {};
      if (demoPhone) po.extraPaths = [...(po.extraPaths ?? []), demoPhone.path];
      phones = new PhoneManager(hub, { log, ...po });
    }
  } catch (e) {
    await lan?.close().catch(() => undefined);
    demo?.dispose();
    await hub.close();
    await demoPhone?.close();
    lock.release();
    throw e;
  }
  const lanUrl = opts.lan?.publicUrl ?? lan?.url ?? null;
  const api = new Api({
    hub,
    dataDir: opts.dataDir,
    demo: !!opts.demo,
    ...(opts.version ? { version: opts.version } : {}),
    devices: {
      lanUrl: () => lanUrl,
      discovered: () => phones?.discovered() ?? [],
      pairPhone: async (spid, autoSync, name) => {
        if (!phones) throw new Error('Phones are not watched here.');
        await phones.pairPhone(spid, autoSync, name);
      },
      ignorePhone: (spid) => phones?.ignorePhone(spid),
      pairSyncml: syncmlPairing(hub),
      onDiscovered: (fn) => phones?.onDiscovered(fn) ?? (() => undefined),
    },
  });
  let closing: Promise<void> | null = null;
  return {
    hub,
    api,
    lanUrl,
    phones,
    demoPhone,
    lock,
    close: () =>
      (closing ??= (async () => {
        phones?.stopWatching();
        await lan?.close();
        api.dispose();
        await hub.close();
        demo?.dispose(); // after the hub: the demo devices keep every acknowledgement it counted
        await phones?.closeLinks();
        await demoPhone?.close();
        lock.release();
      })()),
  };
}
