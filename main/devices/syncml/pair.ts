// Pairing a SyncML client: the user approves it in the hub, which stores its login. The
// hub keeps b64(md5(user:password)) — what both basic and MD5 authentication can be checked
// against — not the password.
import type { Spid } from '../../core/types';
import type { DeviceRecord } from '../../hub/types';
import { credentialDigest } from './auth';
import { syncmlConfigOf, type SyncmlDeviceConfig } from './server';

/** What pairing needs of the hub (main/hub/hub.ts `Hub` satisfies it). */
export interface PairingHub {
  devices(): DeviceRecord[];
  pairDevice(req: {
    spid?: Spid;
    name: string;
    kind: 'syncml';
    link: 'lan';
    changeTracking: 'log';
    config?: Record<string, unknown>;
  }): DeviceRecord;
}

export class PairError extends Error {}

/** Pairs (or re-pairs, keeping its SPID) the SyncML client that logs in as `user`. A new
 *  password forgets the anchors: the client's next session is a slow sync. */
export function pairSyncmlDevice(hub: PairingHub, name: string, user: string, password: string): DeviceRecord {
  if (!user || /[:\s]/.test(user)) throw new PairError('The SyncML user name must be non-empty, without spaces or colons.');
  if (!password) throw new PairError('The SyncML password must not be empty.');
  const existing = hub.devices().find((d) => d.kind === 'syncml' && syncmlConfigOf(d)?.user === user);
  const syncml: SyncmlDeviceConfig = { user, digest: credentialDigest(user, password), anchors: {} };
  return hub.pairDevice({
    ...(existing ? { spid: existing.spid } : {}),
    name,
    kind: 'syncml',
    link: 'lan',
    changeTracking: 'log',
    config: { syncml },
  });
}
