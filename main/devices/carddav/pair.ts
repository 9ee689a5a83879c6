// Pairing a CardDAV account: a user name and password the user types into the client
// (macOS/iOS Contacts, DAVx5, Thunderbird, Evolution, vdirsyncer). Re-pairing the same
// user keeps the account's SPID and book and changes its password.
import type { Spid } from '../../core/types';
import type { DeviceRecord } from '../../hub/types';
import { carddavConfigOf, hashSecret, USER_RE, type CarddavConfig } from './account';

export interface CarddavPairingHub {
  devices(): DeviceRecord[];
  pairDevice(req: {
    spid?: Spid;
    name: string;
    kind: 'carddav';
    link: 'lan';
    changeTracking: 'log';
    autoSync?: boolean;
    config?: Record<string, unknown>;
  }): DeviceRecord;
}

export class CarddavPairError extends Error {}

export function pairCarddavAccount(hub: CarddavPairingHub, name: string, user: string, password: string): DeviceRecord {
  if (!USER_RE.test(user)) throw new CarddavPairError('The CardDAV user name must be 1 to 64 letters, digits or . _ @ - (starting with a letter or digit).');
  if (password.length < 4) throw new CarddavPairError('The CardDAV password must have at least 4 characters.');
  const existing = hub.devices().find((d) => carddavConfigOf(d)?.user === user);
  const carddav: CarddavConfig = { ...(carddavConfigOf(existing) ?? {}), user, secret: hashSecret(password) };
  return hub.pairDevice({
    ...(existing ? { spid: existing.spid } : {}),
    name,
    kind: 'carddav',
    link: 'lan',
    changeTracking: 'log',
    // A log device always online: its clients' changes are reconciled as they arrive.
    autoSync: true,
    config: { carddav },
  });
}
