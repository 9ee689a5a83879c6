// Importing a vCard file, shared by the UI's import ('contacts:importPreview' and
// 'contacts:import') and `concord contacts import`: what would happen card by card (add;
// update, filling in what an existing contact lacks — an import never removes or
// overwrites; skip as a duplicate), then the edits in the hub's editor.
import { contactOf, displayName, equalContacts, normalizeContact, type Contact, type TypedValue } from '../core/contact';
import { DuplicateIndex } from '../core/duplicates';
import type { Guid } from '../core/types';
import type { ContactRow } from '../hub/types';
import type { ImportItem, ImportOutcome, ImportPreview } from './contract';
import { parseCards } from './vcard';

/** What an import reads of the hub. */
export interface ImportSource {
  contacts(): ContactRow[];
  region(): string;
}

/** Where an import writes: the hub's editor. */
export interface ImportTarget {
  add(c: Contact): Guid;
  update(guid: Guid, c: Contact): void;
}

export interface ImportPlan {
  preview: ImportPreview;
  /** The contact each card adds or updates to, by the card's index. */
  data: Map<number, Contact>;
}

/** What importing the file would do, card by card. Writes nothing. */
export function planImport(hub: ImportSource, file: string | Uint8Array): ImportPlan {
  const region = hub.region();
  const parsed = parseCards(file);
  const index = new DuplicateIndex<string>();
  const existing = new Map<string, Contact>();
  for (const row of hub.contacts()) {
    index.add(row.guid, row.contact);
    existing.set(row.guid, row.contact);
  }
  const items: ImportItem[] = [];
  const data = new Map<number, Contact>();
  for (const { index: i, contact: raw } of parsed.contacts) {
    const c = normalizeContact(contactOf(raw), region);
    const name = displayName(c) || '(no name)';
    if (!displayName(c)) {
      items.push({ index: i, action: 'skip', name, reason: 'The card has no name, number or e-mail.' });
      continue;
    }
    const match = index.find(c)[0];
    if (match === undefined) {
      items.push({ index: i, action: 'add', name, reason: 'New contact.' });
      index.add(`file:${i}`, c);
      existing.set(`file:${i}`, c);
      data.set(i, c);
      continue;
    }
    const old = existing.get(match)!;
    if (match.startsWith('file:')) {
      items.push({ index: i, action: 'skip', name, reason: `Duplicate of card ${Number(match.slice(5)) + 1} in this file.` });
      continue;
    }
    const merged = fillIn(old, c);
    if (equalContacts(merged, old)) {
      items.push({ index: i, action: 'skip', name, guid: match, reason: `Already in Concord as ${displayName(old)}.` });
    } else {
      items.push({ index: i, action: 'update', name, guid: match, reason: `Adds ${describeAdded(old, merged)} to ${displayName(old)}.` });
      data.set(i, merged);
      existing.set(match, merged);
    }
  }
  const counts = { add: 0, update: 0, skip: 0 };
  for (const it of items) counts[it.action]++;
  return { preview: { items, counts, errors: parsed.errors }, data };
}

/** Queues the plan's adds and updates in the editor, but for the cards in `skip`. */
export function applyImport(plan: ImportPlan, editor: ImportTarget, skip: Iterable<number> = []): ImportOutcome {
  const skipped = new Set(skip);
  const out = { added: 0, updated: 0, skipped: 0 };
  for (const item of plan.preview.items) {
    const c = plan.data.get(item.index)!;
    if (item.action === 'skip' || skipped.has(item.index)) out.skipped++;
    else if (item.action === 'add') {
      editor.add(c);
      out.added++;
    } else {
      editor.update(item.guid!, c);
      out.updated++;
    }
  }
  return out;
}

function fillIn(old: Contact, incoming: Contact): Contact {
  const out = contactOf(old);
  for (const f of ['fn', 'org', 'title', 'bday', 'note'] as const) if (!out[f] && incoming[f]) out[f] = incoming[f];
  if (out.n.length === 0) out.n = [...incoming.n];
  for (const f of ['tel', 'email', 'adr', 'url'] as const) {
    const have = new Set(out[f].map((v) => v.value.toLowerCase()));
    for (const v of incoming[f]) if (!have.has(v.value.toLowerCase())) out[f].push({ ...v } as TypedValue);
  }
  return out;
}

function describeAdded(old: Contact, merged: Contact): string {
  const parts: string[] = [];
  const n = (k: 'tel' | 'email' | 'adr' | 'url', one: string, many: string) => {
    const d = merged[k].length - old[k].length;
    if (d > 0) parts.push(`${d} ${d === 1 ? one : many}`);
  };
  n('tel', 'number', 'numbers');
  n('email', 'e-mail', 'e-mails');
  n('adr', 'address', 'addresses');
  n('url', 'web address', 'web addresses');
  for (const f of ['org', 'title', 'bday', 'note'] as const) if (!old[f] && merged[f]) parts.push(f === 'org' ? 'the organisation' : f === 'bday' ? 'the birthday' : `the ${f}`);
  return parts.join(', ') || 'details';
}
