// Bluetooth devices paired with this computer (BlueZ, Linux), as sync points.
//
// - The Devices screen lists every paired device with what Concord can do with it
//   (profiles.ts) and pairs it as a sync point in one click: a phone with a serial port
//   profile is synced both ways through the AT phonebook driver on that channel; a phone
//   with only PBAP is a read-only `snapshot` sync point read through obexd.
// - A paired sync point is attached while BlueZ knows the device; when it comes in range
//   (BlueZ: Connected) and the user turned autoSync on, it is synced by itself. Leaving range
//   mid-sync is a cut link: the PBAP pull is not used, the AT driver's pending actions stay.
// - No BlueZ (another OS, no adapter, the service stopped): `status()` says so in one line;
//   nothing throws, and the list fills in when the service starts.
import { EventEmitter } from 'node:events';
import { Bluez, type BluezOptions, type BtDevice } from '../../native/bluez';
import { ObexClient } from '../../native/bluez-obex';
import { RfcommProfiles } from '../../native/rfcomm-link';
import type { SerialLink } from '../../native/serial';
import type { BluetoothDeviceInfo, BluetoothStatus } from '../api/contract';
import type { Spid } from '../core/types';
import { identifyOnLink } from '../devices/at-phonebook/detect';
import { AtPhonebookSyncPoint } from '../devices/at-phonebook/sync-point';
import { canSentence, kindOfClass, profilesOf, serialUuidOf, spidOfAddress, syncAsOf } from '../devices/bluetooth/profiles';
import { PBAP_CAPACITY, PbapSyncPoint, type PbapLocation } from '../devices/pbap/sync-point';
import type { IndexEntry } from '../devices/pbap/identity';
import type { Hub } from '../hub/hub';
import type { SyncPoint } from '../hub/sync-point';
import { AttachedPoints, openPairedPhone } from './attached-points';

/** Opens a device's serial profile as a link (rfcomm-link.ts in the app). */
export interface SerialProfileConnector {
  connect(device: BtDevice, uuid: string): Promise<SerialLink>;
  close?(): Promise<void>;
}

export interface BluetoothManagerOptions extends BluezOptions {
  /** The session bus obexd is on (default: DBUS_SESSION_BUS_ADDRESS). */
  obexBusAddress?: string;
  /** A PBAP transfer that makes no progress this long is a cut link (default 30 s). */
  stallMs?: number;
  /** Serial profiles; default: a BlueZ profile registered through the helper process. */
  serial?: SerialProfileConnector;
  /** AT command timeout on a serial profile. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

interface Attached {
  address: string;
  point: SyncPoint;
  /** Serial profile links are opened per connection; PBAP needs none held open. */
  link?: SerialLink;
}

export class BluetoothManager {
  private readonly events = new EventEmitter();
  private readonly attached: AttachedPoints<Attached>;
  private obex: Promise<ObexClient> | null = null;
  private closed = false;
  private readonly offHub: (() => void)[] = [];
  private readonly log: (line: string) => void;
  private readonly busy = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly hub: Hub,
    private readonly bluez: Bluez,
    private readonly opts: BluetoothManagerOptions,
  ) {
    this.log = opts.log ?? ((s) => console.log(s));
    // After any run: keep what each Bluetooth sync point learnt — the PBAP index the next
    // pull is matched against (once a pull was committed); the AT phone's IMSI and storages
    // (unless the run erred on it).
    this.attached = new AttachedPoints(hub, {
      log: this.log,
      learnt: (a, erred) => {
        if (a.point instanceof PbapSyncPoint) return a.point.takeCommitted() ? a.point.config() : null;
        if (a.point instanceof AtPhonebookSyncPoint && !erred) return { ...a.point.config(), port: `bluetooth:${a.address}` };
        return null;
      },
    });
    bluez.on('changed', () => this.onBluezChanged());
    bluez.on('connected', (d: BtDevice) => this.onConnected(d));
    bluez.on('disconnected', (d: BtDevice) => this.onDisconnected(d));
    bluez.on('removed', (d: BtDevice) => this.onDisconnected(d));
    this.offHub.push(
      () => this.attached.stopFollowingRuns(),
      hub.on('changed', (what) => {
        if (what === 'devices') this.emitStatus();
      }),
    );
  }

  static async start(hub: Hub, opts: BluetoothManagerOptions = {}): Promise<BluetoothManager> {
    const bluez = await Bluez.open(opts);
    let serial = opts.serial;
    if (!serial) {
      const profiles = new RfcommProfiles({ ...(opts.busAddress ? { busAddress: opts.busAddress } : {}), connectProfile: (p, u) => bluez.connectProfile(p, u) });
      serial = { connect: (d, uuid) => profiles.open(d, uuid), close: () => profiles.close() };
    }
    const m = new BluetoothManager(hub, bluez, { ...opts, serial });
    m.onBluezChanged();
    for (const d of m.bluez.state().devices) if (d.connected) m.onConnected(d);
    return m;
  }

  status(): BluetoothStatus {
    const s = this.bluez.state();
    const devices = s.devices.filter((d) => d.paired).map((d) => this.describe(d));
    return { available: s.unavailable === null, reason: s.reason, devices };
  }

  onChanged(fn: (s: BluetoothStatus) => void): () => void {
    this.events.on('status', fn);
    return () => this.events.off('status', fn);
  }

  /** Whether a device is attached through this manager now. */
  isAttached(spid: Spid): boolean {
    return this.attached.has(spid);
  }

  /** Pairs a Bluetooth device as a sync point; with autoSync, syncs it now. */
  async pair(address: string, autoSync: boolean): Promise<Spid> {
    const d = this.bluez.device(address);
    if (!d || !d.paired) throw new Error('That device is not paired with this computer. Pair it in the system\'s Bluetooth settings first.');
    const profiles = profilesOf(d.uuids);
    const syncAs = syncAsOf(profiles);
    if (syncAs === null) throw new Error(`${d.name} offers no profile Concord can sync contacts with.`);
    if (syncAs === 'pbap') {
      const spid = spidOfAddress(d.address);
      // A read-only sync point (sync-method.md, "Read-only sync points"): snapshot, no writes.
      this.hub.pairDevice({
        readOnly: true,
        spid,
        name: d.name,
        kind: 'pbap',
        link: 'bluetooth',
        changeTracking: 'snapshot',
        capacity: PBAP_CAPACITY,
        autoSync,
        config: { address: d.address, readOnly: true },
      });
      this.attachPbap(spid, d.address);
      this.log(`Paired ${d.name} (${spid}) to be read over Bluetooth${autoSync ? '; it is read whenever it comes in range' : ''}.`);
      if (autoSync) void this.attached.syncNow(spid);
      this.emitStatus();
      return spid;
    }
    const spid = await this.connectSerial(d, { pairAutoSync: autoSync });
    return spid;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.offHub) off();
    this.bluez.close();
    await Promise.allSettled([...this.busy.values()]);
    await this.attached.closeAll(async (a) => a.link?.close());
    if (this.obex) (await this.obex.catch(() => null))?.close();
    await this.opts.serial?.close?.();
  }

  // ---------------------------------------------------------------------------------------

  private describe(d: BtDevice): BluetoothDeviceInfo {
    const profiles = profilesOf(d.uuids);
    const syncAs = syncAsOf(profiles);
    return {
      address: d.address,
      name: d.name,
      kind: kindOfClass(d.deviceClass, d.icon),
      connected: d.connected,
      profiles,
      syncAs,
      can: canSentence(syncAs, profiles),
      spid: this.spidOf(d.address),
    };
  }

  /** The hub's sync point for this Bluetooth address, if it is paired as one. */
  private spidOf(address: string): Spid | null {
    const a = address.toUpperCase();
    if (this.hub.device(spidOfAddress(a))) return spidOfAddress(a);
    const d = this.hub.devices().find((x) => x.link === 'bluetooth' && String(x.config.btAddress ?? '').toUpperCase() === a);
    return d?.spid ?? null;
  }

  private emitStatus(): void {
    if (!this.closed) this.events.emit('status', this.status());
  }

  private onBluezChanged(): void {
    if (this.closed) return;
    // Read-only phones need no open link: attached while BlueZ knows them.
    const known = new Set<Spid>();
    for (const d of this.bluez.state().devices) {
      const spid = spidOfAddress(d.address);
      const dev = this.hub.device(spid);
      if (!d.paired || dev?.kind !== 'pbap') continue;
      known.add(spid);
      if (!this.attached.has(spid)) this.attachPbap(spid, d.address);
    }
    for (const [spid, a] of [...this.attached.entries()]) if (!a.link && !known.has(spid)) this.attached.detach(spid);
    this.emitStatus();
  }

  private attachPbap(spid: Spid, address: string): void {
    const dev = this.hub.device(spid);
    if (!dev) return;
    const point = new PbapSyncPoint({
      spid,
      index: (dev.config.index as Record<string, IndexEntry[]> | undefined) ?? {},
      source: { pull: async (locations: readonly PbapLocation[]) => (await this.obexClient()).pull(address, locations) },
    });
    this.attached.attach(spid, { address, point });
  }

  private obexClient(): Promise<ObexClient> {
    if (!this.obex) {
      const job = ObexClient.open({ ...(this.opts.obexBusAddress ? { busAddress: this.opts.obexBusAddress } : {}), ...(this.opts.stallMs ? { stallMs: this.opts.stallMs } : {}) });
      // A failed connection is tried again at the next pull.
      job.catch(() => {
        if (this.obex === job) this.obex = null;
      });
      this.obex = job;
    }
    return this.obex;
  }

  /** Came in range: sync it by itself if the user turned that on. */
  private onConnected(d: BtDevice): void {
    if (this.closed) return;
    const spid = this.spidOf(d.address);
    if (!spid) return;
    const dev = this.hub.device(spid);
    if (!dev?.autoSync) return;
    if (dev.kind === 'pbap') {
      if (!this.attached.has(spid)) this.attachPbap(spid, d.address);
      void this.attached.syncNow(spid);
    } else {
      void this.connectSerial(d, {}).catch((e) => this.log(`${d.name} did not answer on its serial profile: ${(e as Error).message}`));
    }
  }

  /** Left range: a serial link is gone (its channel closes too); PBAP points stay attached
   *  (the next pull finds out whether the phone is back). */
  private onDisconnected(d: BtDevice): void {
    const spid = this.spidOf(d.address);
    if (!spid) return;
    if (this.attached.get(spid)?.link) void this.attached.detach(spid)!.link!.close().catch(() => undefined);
  }

  /** Connects the serial profile, identifies the phone on it (AT), attaches it, and syncs when
   *  asked (or when the user pairs it now with autoSync). One at a time per device. */
  private connectSerial(d: BtDevice, how: { pairAutoSync?: boolean }): Promise<Spid> {
    const running = this.busy.get(d.address);
    if (running) return running as Promise<Spid>;
    const job = this.doConnectSerial(d, how).finally(() => this.busy.delete(d.address));
    this.busy.set(d.address, job);
    return job;
  }

  private async doConnectSerial(d: BtDevice, how: { pairAutoSync?: boolean }): Promise<Spid> {
    const serial = this.opts.serial;
    const uuid = serialUuidOf(profilesOf(d.uuids));
    if (!serial || !uuid) throw new Error(`Concord cannot open ${d.name}'s serial port profile on this computer.`);
    const link = await serial.connect(d, uuid);
    try {
      const found = await identifyOnLink(link, 'bluetooth', this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {});
      if (!found) throw new Error(`${d.name} does not answer phonebook commands on its serial profile.`);
      const spid = found.spid;
      const pairing = how.pairAutoSync !== undefined;
      if (pairing) {
        this.hub.pairDevice({ ...found.pairing, name: d.name, autoSync: how.pairAutoSync, config: { ...found.pairing.config, port: `bluetooth:${d.address}`, btAddress: d.address } });
      }
      const dev = this.hub.device(spid);
      if (!dev) throw new Error(`${d.name} answered as another phone (${spid}) than the one paired.`);
      await this.attached.detach(spid)?.link?.close().catch(() => undefined);
      const point = await openPairedPhone(link, spid, dev.config, this.opts.timeoutMs);
      this.attached.attach(spid, { address: d.address, point, link });
      // The channel closing (out of range, the phone hung up) is a cut link.
      link.on('close', () => {
        if (this.attached.get(spid)?.link === link) this.attached.detach(spid);
      });
      this.log(`${d.name} connected over Bluetooth${dev.autoSync ? '; syncing' : ''}.`);
      if (dev.autoSync) void this.attached.syncNow(spid);
      this.emitStatus();
      return spid;
    } catch (e) {
      await link.close().catch(() => undefined);
      throw e;
    }
  }
}
