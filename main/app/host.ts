// Everything that lives with the hub, whichever thread or process it runs in: the Hub on its
// SQLite file, the API handlers, the SyncML LAN endpoint (only when asked), the phones
// plugged in (sync on connect), and the demo devices. `concord serve` runs it on its main
// thread (its HTTP/WebSocket server in a worker, server-worker.ts; serialport cannot live in
// a worker), the Electron app in a utility process (hub-host.ts), tests in-process.
import { Api } from '../api/handlers';
import { Hub } from '../hub/hub';
import { setUpDemo, startDemoPhone, type Demo, type DemoPhone } from './demo';
import { LanController } from './host-lan';
import { PhoneManager, type PhoneManagerOptions } from './phones';

export interface HostOptions {
  dataDir: string;
  /** The demo devices (an object: with a shorter delay per operation, for tests). */
  demo?: boolean | { opDelayMs?: number };
  /** With demo: a simulated handset on a socat pty pair (skipped without socat). */
  demoPhone?: boolean;
  /** Start the SyncML endpoint here for this run (else as Settings last left it). */
  lan?: { host: string; port: number; sessionTimeoutMs?: number };
  /** Where LAN sync binds when Settings turns it on (default 0.0.0.0; `lan.host` if given). */
  lanHost?: string;
  /** Watch serial ports for phones (default on); false: off; an object: watcher options. */
  phones?: boolean | PhoneManagerOptions;
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
  demoPhone: DemoPhone | null;
  /** LAN endpoint first, then the hub (a run stops at its next acknowledgement), then the
   *  phones' links and the demo phone. */
  close(): Promise<void>;
}

export async function startHost(opts: HostOptions): Promise<HubHost> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const hub = Hub.open({ dataDir: opts.dataDir, autoReconcileEdits: true });
  const lan = new LanController(hub, {
    dataDir: opts.dataDir,
    host: opts.lan?.host ?? opts.lanHost ?? '0.0.0.0',
    ...(opts.lan?.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: opts.lan.sessionTimeoutMs } : {}),
    log,
  });
  let demo: Demo | undefined;
  let demoPhone: DemoPhone | null = null;
  let phones: PhoneManager | null = null;
  try {
    if (opts.lan) await lan.startNow(opts.lan.port);
    else await lan.restore();
    if (opts.demo) demo = await setUpDemo(hub, { dataDir: opts.dataDir, ...(typeof opts.demo === 'object' ? opts.demo : {}) });
    if (opts.demo && opts.demoPhone) demoPhone = await startDemoPhone(log);
    if (opts.phones !== false) {
      const po: PhoneManagerOptions = typeof opts.phones === 'object' ? { ...opts.phones } : {};
      if (demoPhone) po.extraPaths = [...(po.extraPaths ?? []), demoPhone.path];
      phones = new PhoneManager(hub, { log, ...po });
    }
  } catch (e) {
    await lan.close().catch(() => undefined);
    demo?.dispose();
    await hub.close();
    await demoPhone?.close();
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
      onDiscovered: (fn) => phones?.onDiscovered(fn) ?? (() => undefined),
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
    demoPhone,
    close: () =>
      (closing ??= (async () => {
        phones?.stopWatching();
        await lan.close();
        api.dispose();
        await hub.close();
        demo?.dispose(); // after the hub: the demo devices keep every acknowledgement it counted
        await phones?.closeLinks();
        await demoPhone?.close();
      })()),
  };
}

