// The CardDAV books in the DSS: small synchronous queries over the hub's connection. Every
// request a client makes costs a few indexed lookups, whatever the size of the book.
import { randomBytes } from 'node:crypto';
import type { Db } from './db';

export type ChangeState = 'ADDED' | 'UPDATED' | 'DELETED';

export interface BookRow {
  spid: string;
  book_id: string;
  displayname: string;
  revision: number;
  change_seq: number;
  /** Tombstones up to this revision are pruned: an older sync token is refused. */
  pruned_revision: number;
}

export interface CardRow {
  href: string;
  etag: string;
  body: string | null;
  revision: number;
  is_group: number;
}

export interface ChangeRow {
  href: string;
  state: ChangeState;
  seq: number;
  seen: number;
}

export class CarddavStore {
  private readonly st;

  constructor(readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      book: p('SELECT spid, book_id, displayname, revision, change_seq, pruned_revision FROM carddav_books WHERE spid = ?'),
      books: p('SELECT spid FROM carddav_books'),
      oldTombstones: p('SELECT max(revision) AS r, count(*) AS n FROM carddav_cards WHERE spid = ? AND body IS NULL AND deleted_at < ?'),
      pruneTombstones: p('DELETE FROM carddav_cards WHERE spid = ? AND body IS NULL AND deleted_at < ?'),
      prunedUpTo: p('UPDATE carddav_books SET pruned_revision = max(pruned_revision, ?) WHERE spid = ?'),
      bookInsert: p('INSERT OR IGNORE INTO carddav_books (spid, book_id, displayname) VALUES (?, ?, ?)'),
      bookName: p('UPDATE carddav_books SET displayname = ? WHERE spid = ?'),
      bump: p('UPDATE carddav_books SET revision = revision + 1 WHERE spid = ? RETURNING revision'),
      bumpSeq: p('UPDATE carddav_books SET change_seq = change_seq + 1 WHERE spid = ? RETURNING change_seq'),
      card: p('SELECT href, etag, body, revision, is_group FROM carddav_cards WHERE spid = ? AND href = ?'),
      cardPut: p(`INSERT INTO carddav_cards (spid, href, etag, body, revision, is_group, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                  ON CONFLICT (spid, href) DO UPDATE SET etag = excluded.etag, body = excluded.body, revision = excluded.revision, is_group = excluded.is_group, deleted_at = excluded.deleted_at`),
      live: p('SELECT href, etag, body, revision, is_group FROM carddav_cards WHERE spid = ? AND body IS NOT NULL'),
      liveMeta: p('SELECT href, etag FROM carddav_cards WHERE spid = ? AND body IS NOT NULL'),
      since: p('SELECT href, etag, body IS NULL AS gone FROM carddav_cards WHERE spid = ? AND revision > ?'),
      change: p('SELECT href, state, seq, seen FROM carddav_changes WHERE spid = ? AND href = ?'),
      changePut: p(`INSERT INTO carddav_changes (spid, href, state, seq, seen) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (spid, href) DO UPDATE SET state = excluded.state, seq = excluded.seq, seen = excluded.seen`),
      changeDrop: p('DELETE FROM carddav_changes WHERE spid = ? AND href = ?'),
      changes: p('SELECT href, state, seq, seen FROM carddav_changes WHERE spid = ? ORDER BY seq'),
      changesSeen: p('UPDATE carddav_changes SET seen = 1 WHERE spid = ? AND seq <= ?'),
      changesForget: p('DELETE FROM carddav_changes WHERE spid = ? AND seq <= ?'),
      changeCount: p('SELECT count(*) AS n FROM carddav_changes WHERE spid = ?'),
      truthAt: p('SELECT updated_at FROM truth WHERE guid = ?'),
    };
  }

  /** The account's book, made on first use. */
  ensureBook(spid: string, displayname = 'Contacts'): BookRow {
    this.st.bookInsert.run(spid, randomBytes(9).toString('base64url'), displayname);
    return this.book(spid)!;
  }

  book(spid: string): BookRow | undefined {
    return this.st.book.get(spid) as BookRow | undefined;
  }

  setDisplayname(spid: string, name: string): void {
    this.st.bookName.run(name, spid);
    this.bump(spid);
  }

  /** A new revision of the book (a new sync token and CTag). */
  bump(spid: string): number {
    return (this.st.bump.get(spid) as { revision: number }).revision;
  }

  card(spid: string, href: string): CardRow | undefined {
    return this.st.card.get(spid, href) as CardRow | undefined;
  }

  /** Writes a card; `body` null leaves a tombstone, deleted at `deletedAt` (default now). */
  putCard(spid: string, href: string, etag: string, body: string | null, revision: number, isGroup: boolean, deletedAt?: number): void {
    this.st.cardPut.run(spid, href, etag, body, revision, isGroup ? 1 : 0, body === null ? (deletedAt ?? Date.now()) : null);
  }

  /**
   * Forgets the tombstones deleted before `before` (ms), in every book, and remembers per
   * book the highest revision forgotten: a sync token below it can no longer be answered
   * (RFC 6578 §3.2, DAV:valid-sync-token). Returns how many went.
   */
  pruneTombstones(before: number): number {
    let gone = 0;
    this.db.transaction(() => {
      for (const { spid } of this.st.books.all() as { spid: string }[]) {
        const old = this.st.oldTombstones.get(spid, before) as { r: number | null; n: number };
        if (!old.n) continue;
        this.st.pruneTombstones.run(spid, before);
        this.st.prunedUpTo.run(old.r, spid);
        gone += old.n;
      }
    })();
    return gone;
  }

  liveCards(spid: string): CardRow[] {
    return this.st.live.all(spid) as CardRow[];
  }

  liveMeta(spid: string): { href: string; etag: string }[] {
    return this.st.liveMeta.all(spid) as { href: string; etag: string }[];
  }

  changedSince(spid: string, revision: number): { href: string; etag: string; gone: number }[] {
    return this.st.since.all(spid, revision) as { href: string; etag: string; gone: number }[];
  }

  change(spid: string, href: string): ChangeRow | undefined {
    return this.st.change.get(spid, href) as ChangeRow | undefined;
  }

  /** Records a client's change in the account's log, coalesced with what is there. */
  logChange(spid: string, href: string, state: ChangeState): void {
    const seq = (this.st.bumpSeq.get(spid) as { change_seq: number }).change_seq;
    this.st.changePut.run(spid, href, state, seq, 0);
  }

  dropChange(spid: string, href: string): void {
    this.st.changeDrop.run(spid, href);
  }

  changes(spid: string): ChangeRow[] {
    return this.st.changes.all(spid) as ChangeRow[];
  }

  markSeen(spid: string, upTo: number): void {
    this.st.changesSeen.run(spid, upTo);
  }

  forgetChanges(spid: string, upTo: number): void {
    this.st.changesForget.run(spid, upTo);
  }

  /** When the truth last took this contact's data (ms), if it holds the contact. */
  truthChangedAt(guid: string): number | undefined {
    return (this.st.truthAt.get(guid) as { updated_at: number } | undefined)?.updated_at;
  }

  pendingChanges(spid: string): number {
    return (this.st.changeCount.get(spid) as { n: number }).n;
  }
}
