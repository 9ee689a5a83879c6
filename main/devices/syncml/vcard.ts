// The contact ↔ vCard bridge of the SyncML adapter, over the project's codec
// (main/core/vcard). SyncEvolution prefers vCard 3.0 (its DevInf Rx-Pref), and our DevInf
// announces 3.0 as preferred too; 2.1 from older phones is read by the same codec, and a
// device that sends 2.1 gets 2.1 back (the server remembers the version it last sent).
// Properties Concord does not model travel in `contact.extra` and are written back as the
// device sent them.
import type { Contact } from '../../core/contact';
import { parseVCard, VCardError, writeVCard, type VCardVersion } from '../../core/vcard';

export type { VCardVersion };

export class ContactCodecError extends Error {}

/** One card: the contact and the version the device wrote it in. */
export function vcardToCard(text: string): { contact: Contact; version: VCardVersion } {
  try {
    const p = parseVCard(text);
    return { contact: p.contact, version: p.version };
  } catch (e) {
    if (e instanceof VCardError) throw new ContactCodecError(e.message);
    throw e;
  }
}

export function vcardToContact(text: string): Contact {
  return vcardToCard(text).contact;
}

export function contactToVcard(c: Contact, version: VCardVersion = '3.0'): string {
  return writeVCard(c, version);
}

/** The MIME type of a card of this version in SyncML Meta/Type. */
export function vcardType(version: VCardVersion): string {
  return version === '2.1' ? 'text/x-vcard' : 'text/vcard';
}
