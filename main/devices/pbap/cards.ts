// A pulled PBAP phonebook as records: the vCards go through the project's codec (2.1 with
// CHARSET and QUOTED-PRINTABLE, 3.0, photos), and what is the phone's bookkeeping rather
// than the contact's data is taken out of the contact: X-IRMC-* lines (IrMC's LUID and call
// stamps) and X-BT-* lines (PBAP 1.2's UID and speed-dial key) change with the phone, not
// with the person, and would otherwise travel to every other device. They name the record
// instead (identity.ts). A card the codec cannot read is skipped, the rest is used.
import type { Contact } from '../../core/contact';
import { parseVCards } from '../../core/vcard';

export interface PbapCard {
  contact: Contact;
  /** A stable id the phone gave the record (X-BT-UID, X-IRMC-LUID or UID), if any. */
  uid?: string;
}

export interface ReadPhonebook {
  cards: PbapCard[];
  skipped: { index: number; reason: string }[];
}

const BOOKKEEPING = /^X-(IRMC|BT)-/i;
const ID_PROPS = ['X-BT-UID', 'X-IRMC-LUID'];

function isEmpty(c: Contact): boolean {
  return !c.fn.trim() && c.n.every((x) => !x.trim()) && c.tel.length === 0 && c.email.length === 0;
}

export function readPhonebook(bytes: Uint8Array): ReadPhonebook {
  const { cards, errors } = parseVCards(bytes);
  const out: PbapCard[] = [];
  for (const card of cards) {
    const extra = card.contact.extra;
    const id = ID_PROPS.map((n) => extra.find((e) => e.name.toUpperCase() === n)?.value.trim()).find((v) => !!v) ?? card.uid?.trim();
    const contact: Contact = { ...card.contact, extra: extra.filter((e) => !BOOKKEEPING.test(e.name)) };
    // PBAP's first card (0.vcf) is the phone owner's own, often empty: not a contact.
    if (isEmpty(contact)) continue;
    out.push(id ? { contact, uid: id } : { contact });
  }
  return { cards: out, skipped: errors.map((e) => ({ index: e.index, reason: `line ${e.line}: ${e.message}` })) };
}
