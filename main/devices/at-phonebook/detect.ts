// Sync on connect: which phone just appeared. A serial port that arrives is asked who it is
// (AT+CGSN: the IMEI names the device on any port and after any replug; AT+CIMI: the SIM in
// it), what storages and limits it has; the answer is everything the hub needs to offer
// pairing (a new IMEI) or to attach and sync a known phone (spid `imei:<IMEI>`).
//
// The lead wires it: watchPhones() → on 'phone': if hub.device(spid) exists and autoSync,
// `hub.attach(await AtPhonebookSyncPoint.open(link, { spid, knownImsi: config.imsi, storages:
// config.storages }))` then `hub.sync([spid])` and `hub.updateDeviceConfig(spid,
// sp.config())`; else show `pairing` in the UI. On 'gone': `hub.detach(spid)`.
import { EventEmitter } from 'node:events';
import { watchSerialPorts, type HotplugOptions, type SerialWatcher } from '../../../native/hotplug';
import { openSerialLink, type PortKind, type SerialLink } from '../../../native/serial';
import type { Capacity } from '../../core/projection';
import type { Spid } from '../../core/types';
import type { DeviceLink } from '../../hub/types';
import { projectedNameLength } from './mapping';
import { AtPhone, type PhoneIdentity, type StorageInfo } from './phone';

export interface DetectedPhone {
  path: string;
  link: DeviceLink;
  spid: Spid;
  identity: PhoneIdentity;
  storages: StorageInfo[];
  /** What `hub.pairDevice` takes for a new phone. */
  pairing: {
    spid: Spid;
    name: string;
    kind: 'at-phonebook';
    link: DeviceLink;
    changeTracking: 'snapshot';
    capacity: Capacity;
    config: { imei: string; imsi: string | null; port: string; storages: string[]; baud: number };
  };
}

export function spidOfImei(imei: string): Spid {
  return `imei:${imei}`;
}

export interface IdentifyOptions {
  baud?: number;
  /** Short: a port that is not a phone must not hold things up. */
  timeoutMs?: number;
}

/** Asks whatever answers on `link` who it is. Null if it is not an AT phone with a
 *  phonebook. Leaves the link open and the phone in ATE0/CMEE=1. */
export async function identifyOnLink(link: SerialLink, portKind: PortKind = 'usb', opts: IdentifyOptions = {}): Promise<DetectedPhone | null> {
  let phone: AtPhone | null = null;
  try {
    phone = await AtPhone.open(link, { timeoutMs: opts.timeoutMs ?? 1500, busyRetryMs: 5000 });
    const identity = await phone.identity();
    const names = (await phone.storageNames()).filter((s) => s === 'SM' || s === 'ME');
    const storages: StorageInfo[] = [];
    for (const s of names) storages.push(await phone.select(s));
    if (storages.length === 0) return null;
    const nameLength = Math.min(...storages.map((s) => s.nameLength));
    const spid = spidOfImei(identity.imei);
    const linkKind: DeviceLink = portKind === 'bluetooth' ? 'bluetooth' : 'usb';
    const name = [identity.manufacturer, identity.model].filter(Boolean).join(' ') || `Phone ${identity.imei.slice(-4)}`;
    return {
      path: link.path,
      link: linkKind,
      spid,
      identity,
      storages,
      pairing: {
        spid,
        name,
        kind: 'at-phonebook',
        link: linkKind,
        changeTracking: 'snapshot',
        capacity: {
          fields: ['fn', 'tel'],
          maxNameLength: projectedNameLength({ nameLength }),
          maxEntries: storages.reduce((n, s) => n + s.last - s.first + 1, 0),
        },
        config: { imei: identity.imei, imsi: identity.imsi, port: link.path, storages: storages.map((s) => s.name), baud: opts.baud ?? 115200 },
      },
    };
  } catch {
    return null;
  } finally {
    phone?.detach();
  }
}

/** Opens `path`, identifies the phone, closes the port again. */
export async function identifyPhone(path: string, portKind: PortKind = 'usb', opts: IdentifyOptions = {}): Promise<DetectedPhone | null> {
  let link: SerialLink;
  try {
    link = await openSerialLink(path, opts.baud ?? 115200);
  } catch {
    return null;
  }
  try {
    return await identifyOnLink(link, portKind, opts);
  } finally {
    await link.close().catch(() => undefined);
  }
}

export interface PhoneWatcher {
  on(event: 'phone', listener: (phone: DetectedPhone) => void): this;
  /** A port went away; `spid` when a phone had been identified on it. */
  on(event: 'gone', listener: (path: string, spid: Spid | null) => void): this;
  /** Phones identified now, by port. */
  current(): DetectedPhone[];
  stop(): void;
}

class Watcher extends EventEmitter implements PhoneWatcher {
  private readonly phones = new Map<string, DetectedPhone>();
  private readonly ports: SerialWatcher;

  constructor(opts: HotplugOptions & IdentifyOptions) {
    super();
    this.ports = watchSerialPorts(opts);
    this.ports.on('add', (port) => {
      // A port that just appeared may need a moment before its phone answers (USB CDC
      // enumerates before the modem is ready); identify once, quietly, if it is not a phone.
      void identifyPhone(port.path, port.kind, opts).then((p) => {
        if (!p || !this.ports.current().some((c) => c.path === port.path)) return;
        this.phones.set(port.path, p);
        this.emit('phone', p);
      });
    });
    this.ports.on('remove', (path) => {
      const p = this.phones.get(path);
      this.phones.delete(path);
      this.emit('gone', path, p?.spid ?? null);
    });
    this.ports.on('error', () => undefined);
  }

  current(): DetectedPhone[] {
    return [...this.phones.values()];
  }

  stop(): void {
    this.ports.stop();
  }
}

/** Watches serial ports and identifies the phones that appear on them. */
export function watchPhones(opts: HotplugOptions & IdentifyOptions = {}): PhoneWatcher {
  return new Watcher(opts);
}
