// The one place the API reads and writes .vcf files, through the project's codec
// (main/core/vcard: 2.1, 3.0 and 4.0). The UI's import and export and the command line's
// `concord contacts import/export` use it alike.
import type { Contact } from '../core/contact';
import { parseVCards, writeVCard, type VCardVersion } from '../core/vcard';

export interface ParsedCards {
  /** `index`: the card's place in the file (0-based, cards that failed counted). */
  contacts: { index: number; contact: Contact }[];
  errors: string[];
}

/** Every card of a file (any version, many cards); a card that cannot be read is reported
 *  by its place in the file and the others are kept. */
export function parseCards(input: string | Uint8Array): ParsedCards {
  const { cards, errors: problems } = parseVCards(input);
  const failed = new Set(problems.filter((p) => p.index >= 0).map((p) => p.index));
  const contacts: ParsedCards['contacts'] = [];
  let index = 0;
  for (const card of cards) {
    while (failed.has(index)) index++;
    contacts.push({ index, contact: card.contact });
    index++;
  }
  const errors = problems.map((p) =>
    p.index >= 0 ? `Card ${p.index + 1} could not be read (line ${p.line}): ${p.message.replace(/^line \d+: /, '')}.` : `${p.message.replace(/^line \d+: /, '')} (line ${p.line}).`,
  );
  const empty = typeof input === 'string' ? input.trim() === '' : input.length === 0;
  if (cards.length === 0 && problems.length === 0 && !empty) errors.push('The file holds no vCard (no BEGIN:VCARD … END:VCARD).');
  return { contacts, errors };
}

/** The contacts as one file of cards of `version`, each with its UID when given. A contact
 *  without a structured name gets an N derived from its formatted name. */
export function writeCards(list: readonly { contact: Contact; uid?: string }[], version: VCardVersion): string {
  return list.map(({ contact, uid }) => writeVCard(contact, version, { nameFromFn: true, ...(uid !== undefined ? { uid } : {}) })).join('');
}
