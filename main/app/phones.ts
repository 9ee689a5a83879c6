// Sync on connect: phones that appear on a serial port (USB, Bluetooth
// RFCOMM; socat ptys in tests and in `serve --demo --demo-phone`).
//
// - A known phone (its IMEI is paired: spid `imei:<IMEI>`) is attached at once, so "Sync
//   now" works; with its autoSync on it is synced straight away, and what the sync point
//   learnt (IMSI, storages, port) is kept in the device's config, so a swapped SIM is seen.
// - A new phone is offered for pairing: `discovered()` and the `devices:discovered` event;
//   `pairPhone` pairs it with the user's autoSync choice, `ignorePhone` stops offering it
//   until it is plugged in again.
// - A port that goes away detaches its phone (a run in progress sees the link lost; its
//   pending actions stay for next time).
import { EventEmitter } from 'node:events';
import type { HotplugOptions } from '../../native/hotplug';
import { openSerialLink } from '../../native/serial';
import type { DiscoveredPhone } from '../api/contract';
import type { DeviceServices } from '../api/handlers';
import type { Spid } from '../core/types';
import { watchPhones, type DetectedPhone, type PhoneWatcher } from '../devices/at-phonebook/detect';
import type { AtPhonebookSyncPoint } from '../devices/at-phonebook/sync-point';
import type { Hub } from '../hub/hub';
import { AttachedPoints, openPairedPhone } from './attached-points';

export interface PhoneManagerOptions extends HotplugOptions {
  /** Inactivity timeout of one AT command (default: the driver's). */
  timeoutMs?: number;
  /** A watcher to use instead of watching the serial ports (tests). */
  watcher?: PhoneWatcher;
  log?: (line: string) => void;
}

interface Attached {
  path: string;
  point: AtPhonebookSyncPoint;
}

export type PhoneServices = Omit<DeviceServices, 'lanUrl' | 'pairSyncml'>;

export class PhoneManager implements PhoneServices {
  private readonly watcher: PhoneWatcher;
  private readonly offered = new Map<Spid, DetectedPhone>();
  private readonly ignored = new Set<Spid>();
  private readonly attached: AttachedPoints<Attached>;
  /** Ports present now, by path → the phone identified on it. */
  private readonly present = new Map<string, DetectedPhone>();
  private readonly events = new EventEmitter();
  private readonly log: (line: string) => void;
  private stopped = false;
  /** Connections being opened, so shutdown can wait for them. */
  private readonly opening = new Set<Promise<unknown>>();

  constructor(
    private readonly hub: Hub,
    private readonly opts: PhoneManagerOptions = {},
  ) {
    this.log = opts.log ?? ((s) => console.log(s));
    // After any run: keep what each phone's sync point learnt — the IMSI it was synced with,
    // so a swapped SIM is seen next time — unless the run erred on it.
    this.attached = new AttachedPoints(hub, { log: this.log, learnt: (a, erred) => (erred ? null : a.point.config()) });
    this.watcher = opts.watcher ?? watchPhones({ ...opts, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    this.watcher.on('phone', (p) => this.onPhone(p));
    this.watcher.on('gone', (path, spid) => this.onGone(path, spid));
  }

  discovered(): DiscoveredPhone[] {
    return [...this.offered.values()].map(describe);
  }

  onDiscovered(fn: (list: DiscoveredPhone[]) => void): () => void {
    this.events.on('discovered', fn);
    return () => this.events.off('discovered', fn);
  }

  /** Whether a phone is attached through this manager now. */
  isAttached(spid: Spid): boolean {
    return this.attached.has(spid);
  }

  async pairPhone(spid: Spid, autoSync: boolean, name?: string): Promise<void> {
    const p = this.offered.get(spid);
    if (!p) throw new Error('That phone is no longer connected.');
    this.hub.pairDevice({ ...p.pairing, name: name ?? p.pairing.name, autoSync, config: { ...p.pairing.config } });
    this.offered.delete(spid);
    this.changed();
    this.log(`Paired ${name ?? p.pairing.name} (${spid})${autoSync ? '; it syncs whenever it is connected' : ''}.`);
    await this.connect(p, autoSync);
  }

  ignorePhone(spid: Spid): void {
    this.ignored.add(spid);
    if (this.offered.delete(spid)) this.changed();
  }

  /** Stops watching; the phones stay attached until `closeLinks` (after the hub closed, so a
   *  run in progress can reach its next acknowledgement). */
  stopWatching(): void {
    this.stopped = true;
    this.watcher.stop();
  }

  async closeLinks(): Promise<void> {
    this.attached.stopFollowingRuns();
    await Promise.allSettled([...this.opening]);
    await this.attached.closeAll((a) => a.point.close());
  }

  // ---------------------------------------------------------------------------------------

  private changed(): void {
    this.events.emit('discovered', this.discovered());
  }

  private onPhone(p: DetectedPhone): void {
    if (this.stopped) return;
    this.present.set(p.path, p);
    const known = this.hub.device(p.spid);
    if (known) {
      void this.connect(p, known.autoSync);
      return;
    }
    if (this.ignored.has(p.spid)) return;
    this.offered.set(p.spid, p);
    this.log(`New phone connected: ${p.pairing.name} on ${p.path}. Pair it on the Devices screen.`);
    this.changed();
  }

  private onGone(path: string, spid: Spid | null): void {
    this.present.delete(path);
    if (!spid) return;
    this.ignored.delete(spid);
    if (this.offered.get(spid)?.path === path) {
      this.offered.delete(spid);
      this.changed();
    }
    if (this.attached.get(spid)?.path === path) {
      void this.attached.detach(spid)!.point.close().catch(() => undefined);
      this.log(`${this.hub.device(spid)?.name ?? spid} was disconnected.`);
    }
  }

  /** Opens the phone's port, attaches it, and syncs it when asked. */
  private connect(p: DetectedPhone, sync: boolean): Promise<void> {
    const job = this.doConnect(p, sync);
    this.opening.add(job);
    return job.finally(() => this.opening.delete(job));
  }

  private async doConnect(p: DetectedPhone, sync: boolean): Promise<void> {
    // The same phone on another port (replugged before the old port was noticed gone).
    await this.attached.detach(p.spid)?.point.close().catch(() => undefined);
    const d = this.hub.device(p.spid);
    if (!d) return;
    const baud = typeof d.config.baud === 'number' ? d.config.baud : (p.pairing.config.baud ?? 115200);
    const link = await openSerialLink(p.path, baud);
    let point: AtPhonebookSyncPoint;
    try {
      point = await openPairedPhone(link, p.spid, d.config, this.opts.timeoutMs);
    } catch (e) {
      await link.close().catch(() => undefined);
      this.log(`${d.name} did not answer on ${p.path}: ${(e as Error).message}`);
      throw e;
    }
    if (this.stopped || this.present.get(p.path)?.spid !== p.spid || !this.hub.device(p.spid)) {
      await point.close().catch(() => undefined); // unplugged (or forgotten) meanwhile
      return;
    }
    this.attached.attach(p.spid, { path: p.path, point });
    this.log(`${d.name} connected on ${p.path}${sync ? '; syncing' : ''}.`);
    if (sync) void this.attached.syncNow(p.spid);
  }
}

function describe(p: DetectedPhone): DiscoveredPhone {
  return {
    spid: p.spid,
    name: p.pairing.name,
    link: p.link,
    port: p.path,
    imei: p.identity.imei,
    storages: p.storages.map((s) => s.name),
    capacity: p.pairing.capacity.maxEntries ?? 0,
  };
}
