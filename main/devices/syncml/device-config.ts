// What the SyncML server keeps per paired device (under `config.syncml` of its DSS record),
// and what it needs of the hub.
import type { Spid } from '../../core/types';
import type { RunSummary, DeviceRecord } from '../../hub/types';
import type { SyncPoint } from '../../hub/sync-point';
import type { VCardVersion } from './vcard';

/** What the server needs of the hub (main/hub/hub.ts `Hub` satisfies it). */
export interface SyncmlHub {
  devices(): DeviceRecord[];
  device(spid: Spid): DeviceRecord | undefined;
  updateDeviceConfig(spid: Spid, config: Record<string, unknown>): void;
  attach(point: SyncPoint): void;
  detach(spid: Spid): void;
  sync(spids?: readonly Spid[]): Promise<RunSummary>;
}

/** Per database: the anchors of the last session that completed. `prevClient`: the one
 *  before, so a client that missed our last reply (and so kept its old anchor) is not
 *  forced into a slow sync. */
export interface DbAnchors {
  client: string;
  prevClient?: string;
  server: string;
}

/** A device's login as the hub keeps it: never the password. */
export interface StoredCredentials {
  user: string;
  /** b64(md5("user:password")): the SyncML 1.1+ MD5 credential's inner digest. */
  digest: string;
}

/** Stored under `config.syncml` of a paired device. */
export interface SyncmlDeviceConfig extends StoredCredentials {
  /** The nonce the client must use for its next MD5 credential. */
  nonce?: string;
  /** SyncHdr/Source/LocURI of the client that last logged in with these credentials. */
  deviceId?: string;
  anchors?: Record<string, DbAnchors>;
  /** The vCard version the client last sent: what it gets back (3.0 until it sends one). */
  vcardVersion?: VCardVersion;
}

export function syncmlConfigOf(d: DeviceRecord | undefined): SyncmlDeviceConfig | undefined {
  const c = d?.config?.syncml as SyncmlDeviceConfig | undefined;
  return c && typeof c.user === 'string' && typeof c.digest === 'string' ? c : undefined;
}
