// Naming a PBAP phone's records across pulls. PBAP gives no stable id to most records: a
// card's handle (N.vcf) is its position in the phone's list, and a deletion shifts every
// later one. So the adapter names each record itself (its LUID) and keeps, per LUID, what it
// last saw (the index, kept in the device's config); a new pull is matched against it:
//
// 1. the phone's own id (X-BT-UID, X-IRMC-LUID, UID) when it gives one;
// 2. the same card exactly (unchanged: by far the most common);
// 3. the same name (the numbers, e-mail or photo were edited);
// 4. the same numbers (the name was edited).
// What is left is new, and is named from its content, so a pull read again after a run that
// did not finish names it the same way. What the index holds and no card matched was
// deleted on the phone (the hub derives DELETED from the listing).
import type { Contact } from '../../core/contact';
import type { Luid } from '../../core/types';
import type { PbapCard } from './cards';

export interface IndexEntry {
  luid: Luid;
  uid?: string;
  /** The whole card, normalized. */
  key: string;
  name: string;
  tels: string;
}

function nameOf(c: Contact): string {
  const n = c.fn.trim() || c.n.filter(Boolean).join(' ');
  return n.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function telsOf(c: Contact): string {
  return c.tel
    .map((t) => t.value.replace(/[^0-9+*#]/g, ''))
    .filter(Boolean)
    .sort()
    .join(',');
}

function keyOf(c: Contact): string {
  const sorted = (xs: { type: string; value: string }[]) => xs.map((x) => `${x.type}:${x.value}`).sort();
  return JSON.stringify([c.fn, c.n, sorted(c.tel), sorted(c.email), sorted(c.adr), c.org, c.title, c.bday, c.note, sorted(c.url), c.extra.map((e) => `${e.name};${e.params}:${e.value}`).sort()]);
}

/** FNV-1a, 32 bits, in base 36: short and stable. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

export function entryOf(luid: Luid, card: PbapCard): IndexEntry {
  const e: IndexEntry = { luid, key: keyOf(card.contact), name: nameOf(card.contact), tels: telsOf(card.contact) };
  if (card.uid) e.uid = card.uid;
  return e;
}

/**
 * Names `cards` (one phonebook, e.g. the phone's memory) against `prev` (what the same
 * phonebook held at the last pull). `prefix` keeps phonebooks apart (`int`, `sim1`).
 * Returns one LUID per card, in order, and the new index.
 */
export function assignLuids(cards: readonly PbapCard[], prev: readonly IndexEntry[], prefix: string): { luids: Luid[]; index: IndexEntry[] } {
  const entries = cards.map((c) => entryOf('', c));
  const luids: (Luid | null)[] = cards.map(() => null);
  const free = new Set(prev.map((_, i) => i));
  const pass = (same: (p: IndexEntry, e: IndexEntry) => boolean) => {
    for (let i = 0; i < entries.length; i++) {
      if (luids[i] !== null) continue;
      for (const j of free) {
        if (same(prev[j]!, entries[i]!)) {
          luids[i] = prev[j]!.luid;
          free.delete(j);
          break;
        }
      }
    }
  };
  pass((p, e) => !!p.uid && p.uid === e.uid);
  pass((p, e) => !(p.uid && e.uid) && p.key === e.key);
  pass((p, e) => !(p.uid && e.uid) && !!p.name && p.name === e.name);
  pass((p, e) => !(p.uid && e.uid) && !!p.tels && p.tels === e.tels);
  const taken = new Set<Luid>([...prev.map((p) => p.luid), ...luids.filter((l): l is Luid => l !== null)]);
  for (let i = 0; i < entries.length; i++) {
    if (luids[i] !== null) continue;
    const e = entries[i]!;
    const base = `${prefix}:${e.uid ? `u${hash(e.uid)}` : hash(e.key)}`;
    let l = base;
    for (let n = 2; taken.has(l); n++) l = `${base}-${n}`;
    taken.add(l);
    luids[i] = l;
  }
  const index = entries.map((e, i) => ({ ...e, luid: luids[i]! }));
  return { luids: luids as Luid[], index };
}
