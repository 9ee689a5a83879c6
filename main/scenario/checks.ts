// How the scenario runner (runner.ts) and the crash tests look at contacts: compared as the
// scenario format says, described in a failure message, and the duplicates invariant ("no
// duplicates, in the truth and on every device").
import { contactSignature, normalizeContact, type Contact } from '../core/contact';
import { DuplicateIndex, normalizeName } from '../core/duplicates';

/** Compared as the format says: numbers in E.164 with the region, names as the
 *  duplicate detector folds them. */
export function comparable(c: Contact, region: string): string {
  const n = normalizeContact(c, region);
  return contactSignature({ ...n, fn: normalizeName(n.fn), n: n.n.map((p) => normalizeName(p)) });
}

/** A contact as a failure message shows it: `{name; tel …; email …; …}`. */
export function describeContact(c: Contact): string {
  const parts = [c.fn || c.n.join(' ')];
  if (c.tel.length) parts.push(`tel ${c.tel.map((t) => t.value).join(', ')}`);
  if (c.email.length) parts.push(`email ${c.email.map((t) => t.value).join(', ')}`);
  if (c.org) parts.push(`org ${c.org}`);
  if (c.note) parts.push(`note ${JSON.stringify(c.note)}`);
  if (c.adr.length) parts.push(`adr ${c.adr.map((t) => t.value).join(' | ')}`);
  return `{${parts.join('; ')}}`;
}

/** The first contact of `contacts` that duplicates an earlier one, after that earlier one;
 *  null when there are no duplicates. */
export function firstDuplicate(contacts: readonly Contact[]): [Contact, Contact] | null {
  const index = new DuplicateIndex<number>();
  for (const [i, c] of contacts.entries()) {
    const dup = index.find(c);
    if (dup.length > 0) return [contacts[dup[0]!]!, c];
    index.add(i, c);
  }
  return null;
}
