// The contacts index of the API layer: the list the UI pages through and the search behind
// its search box, fast at 100,000 contacts. The hub only says "contacts changed", so the
// index is rebuilt lazily on the next request after a change (one pass over the truth),
// and each query is a linear scan over compact precomputed strings — a few milliseconds at
// 100,000 — with the previous query's matches reused when the user keeps typing.
import { displayName, type Contact } from '../core/contact';
import type { ContactRow } from '../hub/types';
import type { ContactSummary, Guid } from './contract';

interface Entry {
  summary: ContactSummary;
  /** Name, e-mails, organisation: lower case, accents removed. */
  text: string;
  /** Every number's digits (E.164 without '+'), space separated. */
  digits: string;
}

/** Lower case without accents, so "zoe" finds "Zoë". */
export function foldForSearch(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The digits of a number query, without the trunk or international prefix, so "07700
 *  900123", "+44 7700 900123" and "0044 7700-900123" all find +447700900123. */
export function queryDigits(q: string): string {
  return q.replace(/\D+/g, '').replace(/^0+/, '');
}

/** A query reads as a number when it is made of digits and phone punctuation. */
function looksLikeNumber(q: string): boolean {
  return /^[\d\s+()./-]+$/.test(q) && /\d{2,}/.test(q.replace(/\D/g, ''));
}

export class ContactIndex {
  private entries: Entry[] = [];
  private dirty = true;
  private last: { query: string; matches: number[] } | null = null;

  constructor(private readonly load: () => ContactRow[]) {}

  invalidate(): void {
    this.dirty = true;
  }

  get size(): number {
    this.ensure();
    return this.entries.length;
  }

  private ensure(): void {
    if (!this.dirty) return;
    const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
    const rows = this.load();
    const entries: Entry[] = rows.map(({ guid, contact }) => entryOf(guid, contact));
    entries.sort((a, b) => collator.compare(a.summary.name, b.summary.name) || (a.summary.guid < b.summary.guid ? -1 : 1));
    this.entries = entries;
    this.dirty = false;
    this.last = null;
  }

  /** Indexes (into the sorted entries) of the contacts matching `query`. */
  private match(query: string): number[] | null {
    const q = query.trim();
    if (!q) return null;
    if (this.last?.query === q) return this.last.matches;
    const isNumber = looksLikeNumber(q);
    const digits = isNumber ? queryDigits(q) : '';
    const tokens = foldForSearch(q).split(/\s+/).filter(Boolean);
    const test = (e: Entry): boolean =>
      (isNumber && digits !== '' && e.digits.includes(digits)) || tokens.every((t) => e.text.includes(t));
    // Typing one more character only narrows: scan the previous matches, not everything.
    const narrowing = this.last && q.startsWith(this.last.query) && !looksLikeNumber(this.last.query) === !isNumber;
    const source = narrowing ? this.last!.matches : null;
    const matches: number[] = [];
    if (source) {
      for (const i of source) if (test(this.entries[i]!)) matches.push(i);
    } else {
      for (let i = 0; i < this.entries.length; i++) if (test(this.entries[i]!)) matches.push(i);
    }
    this.last = { query: q, matches };
    return matches;
  }

  page(offset: number, limit: number, query = ''): { total: number; offset: number; rows: ContactSummary[] } {
    this.ensure();
    const matches = this.match(query);
    if (!matches) {
      return { total: this.entries.length, offset, rows: this.entries.slice(offset, offset + limit).map((e) => e.summary) };
    }
    return { total: matches.length, offset, rows: matches.slice(offset, offset + limit).map((i) => this.entries[i]!.summary) };
  }

  /** Every guid in list order (for export of the whole list). */
  guids(): Guid[] {
    this.ensure();
    return this.entries.map((e) => e.summary.guid);
  }
}

function entryOf(guid: Guid, c: Contact): Entry {
  const name = displayName(c) || '(no name)';
  const emails = c.email.map((e) => e.value).join(' ');
  return {
    summary: { guid, name, tel: c.tel[0]?.value ?? '', email: c.email[0]?.value ?? '' },
    text: foldForSearch(`${name} ${c.n.join(' ')} ${emails} ${c.org}`),
    digits: c.tel.map((t) => t.value.replace(/\D+/g, '')).join(' '),
  };
}
