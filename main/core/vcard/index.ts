// The vCard codec of Concord: 2.1, 3.0 and 4.0, read and written without a library (none
// handles 2.1, and those that read 3.0/4.0 change data on writing; see vcard-notes.md).
export { VCardError, MAX_CARD_SIZE, MAX_LINE_SIZE } from './types';
export type { VCardVersion, ParsedCard, CardProblem, WriteOptions } from './types';
export { parseVCards, parseVCard } from './parse';
export { writeVCard, formattedName } from './write';
