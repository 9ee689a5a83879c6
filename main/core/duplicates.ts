// The duplicate detector (sync-method.md, "Duplicates"): two records are duplicates when
// they name the same person and share a way to reach them, or are identical in every
// element. Lookups go through keys so that a store can index them.
import { contactSignature, type Contact } from './contact';

/** NFC, case and white space folded, "Last, First" read as "First Last". */
export function normalizeName(name: string): string {
  let s = name.normalize('NFC').replace(/\s+/gu, ' ').trim();
  const comma = s.indexOf(',');
  if (comma > 0 && s.indexOf(',', comma + 1) < 0) {
    const last = s.slice(0, comma).trim();
    const first = s.slice(comma + 1).trim();
    if (last && first) s = `${first} ${last}`;
  }
  // toLowerCase is locale-independent (as 'und' is) and several times faster.
  return s.toLowerCase().normalize('NFC');
}

/** The name a record goes by: its formatted name, else "given family". */
export function nameKey(c: Contact): string {
  if (c.fn) return normalizeName(c.fn);
  const [family = '', given = ''] = c.n;
  return normalizeName(`${given} ${family}`);
}

/** Ways to reach the person: phone numbers (already E.164 after normalization) and
 *  case-folded e-mails. */
export function reachKeys(c: Contact): string[] {
  const keys = new Set<string>();
  for (const t of c.tel) if (t.value) keys.add(`t:${t.value}`);
  for (const e of c.email) if (e.value) keys.add(`e:${e.value.toLowerCase()}`);
  return [...keys];
}

/** Every key under which a store indexes a record for the detector. */
export function indexKeys(c: Contact): string[] {
  const name = nameKey(c);
  return name ? [`n:${name}`, ...reachKeys(c)] : reachKeys(c);
}

/** The records a store's key index offers as duplicates of a record with these keys (a
 *  superset; the caller checks each): the same name and a shared number or e-mail; with
 *  no number or e-mail, the same name (an identical record); with no name, a shared
 *  number or e-mail. Records identical in every element share all of these keys.
 *  `lookup` gives the records indexed under one key; `prefixed`, records whose name key
 *  starts with the given prefix (a device that shortened the name). */
export function candidatesOf<Id>(keys: readonly string[], lookup: (key: string) => readonly Id[], prefixed?: readonly Id[]): Id[] {
  const name = keys.find((k) => k.startsWith('n:'));
  const named = new Set<Id>();
  if (name) for (const g of lookup(name)) named.add(g);
  if (prefixed) for (const g of prefixed) named.add(g);
  const reach = keys.filter((k) => !k.startsWith('n:'));
  if (reach.length === 0) return [...named];
  if (name && named.size === 0) return [];
  const out = new Set<Id>();
  for (const k of reach) for (const g of lookup(k)) if (!name || named.has(g)) out.add(g);
  return [...out];
}

export function isDuplicate(a: Contact, b: Contact): boolean {
  const na = nameKey(a);
  if (na && na === nameKey(b)) {
    const rb = new Set(reachKeys(b));
    if (reachKeys(a).some((k) => rb.has(k))) return true;
  }
  return contactSignature(a) === contactSignature(b);
}

/** An in-memory index over a set of contacts, for the records added in one run and for
 *  tests; the DSS keeps the same keys in a table for the truth. */
export class DuplicateIndex<Id> {
  private readonly byKey = new Map<string, Set<Id>>();
  private readonly bySignature = new Map<string, Set<Id>>();
  private readonly contacts = new Map<Id, Contact>();
  private readonly order = new Map<Id, number>();
  private counter = 0;

  add(id: Id, c: Contact): void {
    this.contacts.set(id, c);
    this.order.set(id, this.counter++);
    for (const k of indexKeys(c)) this.bucket(this.byKey, k).add(id);
    this.bucket(this.bySignature, contactSignature(c)).add(id);
  }

  remove(id: Id): void {
    const c = this.contacts.get(id);
    if (!c) return;
    this.contacts.delete(id);
    this.order.delete(id);
    for (const k of indexKeys(c)) this.byKey.get(k)?.delete(id);
    this.bySignature.get(contactSignature(c))?.delete(id);
  }

  /** Ids of indexed contacts that are duplicates of `c`, in insertion order. */
  find(c: Contact): Id[] {
    const out = new Set<Id>();
    const name = nameKey(c);
    if (name) {
      const sameName = this.byKey.get(`n:${name}`);
      if (sameName && sameName.size > 0) {
        for (const k of reachKeys(c)) {
          for (const id of this.byKey.get(k) ?? []) if (sameName.has(id)) out.add(id);
        }
      }
    }
    for (const id of this.bySignature.get(contactSignature(c)) ?? []) out.add(id);
    return [...out].sort((x, y) => (this.order.get(x) ?? 0) - (this.order.get(y) ?? 0));
  }

  private bucket(map: Map<string, Set<Id>>, key: string): Set<Id> {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    return set;
  }
}
