// The one place the API reads and writes .vcf files. The project's codec (main/core/vcard:
// parseVCards / writeVCard, 2.1, 3.0 and 4.0) is being written by another engineer; until it
// lands this bridge uses the SyncML adapter's interim 3.0 reader and writer, so import and
// export work end to end. Swap the two bodies when main/core/vcard exists; callers stay.
import type { Contact } from '../core/contact';
import { contactToVcard, vcardToContact } from '../devices/syncml/vcard';
import type { VCardVersion } from './contract';

export interface ParsedCards {
  contacts: { index: number; contact: Contact }[];
  errors: string[];
}

/** Splits a file into cards (any version; folded lines are the reader's business). */
export function parseCards(text: string): ParsedCards {
  const contacts: ParsedCards['contacts'] = [];
  const errors: string[] = [];
  const re = /BEGIN:VCARD[\s\S]*?END:VCARD/gi;
  let index = 0;
  for (const m of text.matchAll(re)) {
    try {
      contacts.push({ index, contact: vcardToContact(m[0]) });
    } catch (e) {
      errors.push(`Card ${index + 1} could not be read: ${(e as Error).message}.`);
    }
    index++;
  }
  if (index === 0 && text.trim() !== '') errors.push('The file holds no vCard (no BEGIN:VCARD … END:VCARD).');
  return { contacts, errors };
}

export function writeCards(contacts: readonly Contact[], version: VCardVersion): string {
  // The interim writer speaks 3.0; the version line is the only part 2.1/4.0 readers insist
  // on for the fields written here.
  return contacts.map((c) => contactToVcard(c).replace('VERSION:3.0', `VERSION:${version}`)).join('');
}
