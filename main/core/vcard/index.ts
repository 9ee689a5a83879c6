// The vCard codec of Concord: 2.1, 3.0 and 4.0, read and written without a library (none
// handles 2.1, and those that read 3.0/4.0 change data on writing; see vcard-notes.md).
//
// Decisions a caller should know:
// - UID, PRODID and REV are fields of ParsedCard, not extras: devices rewrite PRODID/REV on
//   every save, so as data elements they would make copies differ and breed conflicts.
//   The writer emits them only when given in the options.
// - ADR and ORG values in the Contact are components joined by ';', each in canonical
//   3.0/4.0 escaping (`\\ \; \, \n`) whatever the card's version, so the same address from
//   a 2.1 phone and a CardDAV server is one value. ORG drops trailing empty components.
// - Extras keep name (group and case) and the raw value (still escaped); their parameters
//   are normalized to the card's version: CHARSET and QUOTED-PRINTABLE undone, bare 2.1
//   parameters named, TYPEs merged into one `TYPE=a,b`, names upper case.
// - A group on a modelled property (`item2.TEL`) is not kept: its `item2.X-ABLabel` stays
//   an extra but is no longer attached to the number once the hub writes the card.
export { VCardError, MAX_CARD_SIZE, MAX_LINE_SIZE } from './types';
export type { VCardVersion, ParsedCard, CardProblem, WriteOptions } from './types';
export { parseVCards, parseVCard } from './parse';
export { writeVCard, formattedName, nameFromFormatted } from './write';
