// The contact ↔ vCard bridge of the SyncML adapter, over the project's codec
// (main/core/vcard). SyncEvolution prefers vCard 3.0 (its DevInf Rx-Pref), and our DevInf
// announces 3.0 as preferred too; 2.1 from older phones is read by the same codec.
import type { Contact } from '../../core/contact';
import { parseVCard, VCardError, writeVCard } from '../../core/vcard';

export class ContactCodecError extends Error {}

export function vcardToContact(text: string): Contact {
  try {
    return parseVCard(text).contact;
  } catch (e) {
    if (e instanceof VCardError) throw new ContactCodecError(e.message);
    throw e;
  }
}

export function contactToVcard(c: Contact): string {
  return writeVCard(c, '3.0');
}
