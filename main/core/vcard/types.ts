import type { Contact } from '../contact';

export type VCardVersion = '2.1' | '3.0' | '4.0';

export const VERSIONS: readonly VCardVersion[] = ['2.1', '3.0', '4.0'];

export interface ParsedCard {
  contact: Contact;
  version: VCardVersion;
  uid?: string;
  /** PRODID and REV as the device sent them. They are not in `contact.extra`: each device
   *  rewrites them on every save (SyncEvolution does, see vcard-notes.md), so as data
   *  elements they would make every device's copy differ, turn untouched records into
   *  conflicts and keep a run from ever being idempotent. */
  prodid?: string;
  rev?: string;
  warnings: string[];
}

export interface CardProblem {
  /** 0-based ordinal of the card in the input, counting cards that failed; -1 for text
   *  outside any card (a stray END:VCARD, or no card at all). */
  index: number;
  /** 1-based physical line number. */
  line: number;
  message: string;
}

export class VCardError extends Error {
  line?: number;
  constructor(message: string, line?: number) {
    super(line !== undefined ? `line ${line}: ${message}` : message);
    this.name = 'VCardError';
    this.line = line;
  }
}

export interface WriteOptions {
  uid?: string;
  lineEnding?: '\r\n' | '\n';
  /** Written as given (the core has no clock and no product name of its own to impose). */
  prodid?: string;
  rev?: string;
  /** A contact without a structured name gets an N derived from its formatted name
   *  (nameFromFormatted), for files read by address books that sort and show N. Off for
   *  devices: an N they never had would come back as an edit. */
  nameFromFn?: boolean;
}

/** A card over this many octets (characters, for string input) is refused. */
export const MAX_CARD_SIZE = 10 * 1024 * 1024;
/** A physical line over this is refused. RFC lines are at most 75 octets and every device
 *  we know folds; unfolded BASE64 photos of a few hundred kB have been seen, a megabyte on
 *  one line has not. */
export const MAX_LINE_SIZE = 512 * 1024;
