// What Concord can do with a Bluetooth device, from the profiles it announces (its service
// class UUIDs) and its class of device. Pure: the lists come from native/bluez.ts.
//
// - Serial port (SPP) or dial-up networking (DUN): the phone answers AT commands on it, so
//   its phonebook is synced both ways (the AT phonebook driver), as on a USB cable.
// - Phonebook access (PBAP server): today's phones. The phonebook is read, never written: a
//   read-only sync point.
// - OBEX object push alone: a vCard can be sent to it by hand, nothing to sync.

/** The same words as the contract's (main/api may import this layer, not the reverse). */
export type BluetoothProfile = 'serial' | 'dialup' | 'phonebook' | 'object-push';
export type SyncAs = 'serial' | 'pbap' | null;
export type BluetoothKind = 'phone' | 'computer' | 'audio' | 'other';

export const PROFILE_UUIDS: Record<BluetoothProfile, string> = {
  serial: '00001101-0000-1000-8000-00805f9b34fb',
  dialup: '00001103-0000-1000-8000-00805f9b34fb',
  'object-push': '00001105-0000-1000-8000-00805f9b34fb',
  phonebook: '0000112f-0000-1000-8000-00805f9b34fb',
};

export function profilesOf(uuids: readonly string[]): BluetoothProfile[] {
  const set = new Set(uuids.map((u) => u.toLowerCase()));
  return (Object.keys(PROFILE_UUIDS) as BluetoothProfile[]).filter((p) => set.has(PROFILE_UUIDS[p]));
}

/** The major device class (bits 8–12 of the class of device). */
export function kindOfClass(cls: number, icon = ''): BluetoothKind {
  const major = (cls >> 8) & 0x1f;
  if (major === 2 || /phone/.test(icon)) return 'phone';
  if (major === 1 || /computer/.test(icon)) return 'computer';
  if (major === 4 || /audio/.test(icon)) return 'audio';
  return 'other';
}

/** How Concord syncs a device with these profiles: both ways over a serial profile when it
 *  has one, else read-only over PBAP; null when it cannot. The serial profile the AT driver
 *  uses is SPP, else DUN (older phones answer phonebook commands on either). */
export function syncAsOf(profiles: readonly BluetoothProfile[]): SyncAs {
  if (profiles.includes('serial') || profiles.includes('dialup')) return 'serial';
  if (profiles.includes('phonebook')) return 'pbap';
  return null;
}

export function serialUuidOf(profiles: readonly BluetoothProfile[]): string | null {
  if (profiles.includes('serial')) return PROFILE_UUIDS.serial;
  if (profiles.includes('dialup')) return PROFILE_UUIDS.dialup;
  return null;
}

/** One plain sentence for the Devices screen. */
export function canSentence(syncAs: SyncAs, profiles: readonly BluetoothProfile[]): string {
  if (syncAs === 'serial') return 'Its phonebook can be synced both ways over its serial port profile.';
  if (syncAs === 'pbap') return 'Its contacts can be read (the phone shares them as with a car kit); Concord cannot write to it.';
  if (profiles.includes('object-push')) return 'It can receive contact cards sent by hand, but not sync them.';
  return 'It offers no profile Concord can sync contacts with.';
}

export function spidOfAddress(address: string): string {
  return `bt:${address.toUpperCase()}`;
}
