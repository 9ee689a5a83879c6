// Contacts ↔ phonebook entries. Pure functions.
//
// A phonebook entry is a name and one number. A contact with several numbers becomes
// several entries named the way phones do it — `Uchida Mitsuko/M`, `/W`, `/H` — in
// neighbouring slots, and such a run of suffixed entries with one name is read back as one
// contact, its numbers in slot order. The mapping is exact on the phone's projection:
// entriesToContacts(contactToEntries(p)) == p for p = projectForPhone(c), so a clean
// re-read is never an edit. The rules that make it exact:
// - the suffix is always reserved: names are cut to the phone's limit minus 2, even for a
//   contact with one number, so a contact that gains a number keeps its name;
// - a contact with exactly one untyped number (what a user types on a handset) is written
//   without a suffix; every other contact's entries all carry one;
// - a tel type maps to one letter (cell M, work W, home H, fax F, pager P, untyped O); other
//   labels are reduced to the first letter they contain, in that order (`cell,pref` → M);
// - a number keeps only what a phone can dial (digits, + first, * # p w ,), cut to the
//   phone's number length;
// - a name the charset cannot carry has those characters replaced by '?', as the phone
//   would show them (GSM-only phones; with UCS2 every character survives).
// LUID = `<storage>:<index of the contact's first entry>`. Stable as long as the first
// entry stays put, which the sync point ensures on update; the trade-off is that the user
// deleting that one entry on the handset re-keys the contact (the rest is then reported as
// a new record, and the duplicate detector joins it back).
import { contactOf, type Contact, type TypedValue } from '../../core/contact';
import { shortenName } from '../../core/projection';
import { type Charset, toRepresentable } from './charset';

export interface PhoneLimits {
  /** The phone's name length (AT+CPBR=? tlength), suffix included. */
  nameLength: number;
  numberLength: number;
  charset: Charset;
}

export interface EntryData {
  name: string;
  number: string;
}

export interface IndexedEntry extends EntryData {
  index: number;
}

export interface GroupedContact {
  /** Slot indices of the contact's entries, ascending; the first names it (the LUID). */
  indices: number[];
  contact: Contact;
}

export const SUFFIX_LENGTH = 2;
const SUFFIX_TYPE: Record<string, string> = { M: 'cell', W: 'work', H: 'home', F: 'fax', P: 'pager', O: '' };
const TYPE_ORDER: [string, string][] = [
  ['cell', 'M'],
  ['work', 'W'],
  ['home', 'H'],
  ['fax', 'F'],
  ['pager', 'P'],
];
const SUFFIXED = /^(.*)\/([MWHFPO])$/s;

/** The suffix letter a tel type is written with. */
export function suffixOf(type: string): string {
  const labels = new Set(type.split(','));
  for (const [label, letter] of TYPE_ORDER) if (labels.has(label)) return letter;
  return 'O';
}

/** The name length the hub's projection must use: the phone's limit minus the suffix. */
export function projectedNameLength(lim: Pick<PhoneLimits, 'nameLength'>): number {
  return Math.max(1, lim.nameLength - SUFFIX_LENGTH);
}

/** A number as a phone stores it. */
export function dialable(value: string, max: number): string {
  let out = '';
  for (const ch of value) {
    if (/[0-9*#pw,]/.test(ch) || (ch === '+' && out === '')) out += ch;
    else if (ch === 'P' || ch === 'W') out += ch.toLowerCase();
    else if (ch === ';') break; // `;ext=…`: a phone cannot hold an extension
  }
  return out.slice(0, max);
}

/** The name part of an entry as it will be stored: cut, then made representable. */
function phoneName(fn: string, lim: PhoneLimits): string {
  return toRepresentable(shortenName(fn, projectedNameLength(lim)), lim.charset);
}

/** Exactly what the phone will hold of `c`: the hub compares the device by this. */
export function projectForPhone(c: Contact, lim: PhoneLimits): Contact {
  const tel: TypedValue[] = c.tel.map((t) => ({ type: SUFFIX_TYPE[suffixOf(t.type)]!, value: dialable(t.value, lim.numberLength) }));
  return contactOf({ fn: phoneName(c.fn, lim), tel: tel.filter((t) => t.value !== '') });
}

/** The entries a (projected) contact becomes, in the order they go into ascending slots. */
export function contactToEntries(c: Contact, lim: PhoneLimits): EntryData[] {
  const p = projectForPhone(c, lim);
  const single = p.tel.length === 1 && p.tel[0]!.type === '';
  if (p.tel.length === 0) return [{ name: p.fn, number: '' }];
  if (single) return [{ name: p.fn, number: p.tel[0]!.value }];
  return p.tel.map((t) => ({ name: `${p.fn}/${suffixOf(t.type)}`, number: t.value }));
}

/** The base name of a suffixed entry, null for an entry without a suffix. */
export function baseOf(name: string): string | null {
  const m = SUFFIXED.exec(name);
  return m ? m[1]! : null;
}

/** Reads one storage's entries back as contacts: a run of suffixed entries with the same
 *  name, with no other entry between them (empty slots do not count), is one contact; every
 *  other entry is a contact of its own. Runs, not just names, because shortening makes
 *  names collide (`Anna Lindqvist 4` and `Anna Lindqvist 8` both become `Anna Lindqvi`);
 *  the sync point never writes a contact next to another of the same name. */
export function entriesToContacts(entries: readonly IndexedEntry[]): GroupedContact[] {
  const sorted = [...entries].sort((a, b) => a.index - b.index);
  const out: GroupedContact[] = [];
  let run: { base: string; group: GroupedContact } | null = null;
  for (const e of sorted) {
    const m = SUFFIXED.exec(e.name);
    const tel = (type: string): TypedValue[] => (e.number ? [{ type, value: e.number }] : []);
    if (!m) {
      run = null;
      out.push({ indices: [e.index], contact: contactOf({ fn: e.name, tel: tel('') }) });
      continue;
    }
    const base = m[1]!;
    const type = SUFFIX_TYPE[m[2]!]!;
    if (run && run.base === base) {
      run.group.indices.push(e.index);
      run.group.contact.tel.push(...tel(type));
    } else {
      run = { base, group: { indices: [e.index], contact: contactOf({ fn: base, tel: tel(type) }) } };
      out.push(run.group);
    }
  }
  return out;
}

export function luidOf(storage: string, index: number): string {
  return `${storage}:${index}`;
}

export function parseLuid(luid: string): { storage: string; index: number } | null {
  const m = /^([A-Z0-9]+):(\d+)$/.exec(luid);
  return m ? { storage: m[1]!, index: Number(m[2]) } : null;
}
