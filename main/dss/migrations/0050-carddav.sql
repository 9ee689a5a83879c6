-- CardDAV accounts (sync-method.md, "CardDAV accounts"): each paired account's address book
-- as the hub serves it, and the account's change log (what its clients PUT or DELETEd since
-- the last run that completed for it). The book is written by client requests and by the
-- run's push, in the same transaction as the push's acknowledgements.

CREATE TABLE carddav_books (
  spid         TEXT PRIMARY KEY REFERENCES sync_points (spid) ON DELETE CASCADE,
  -- Random, part of every sync token: a token of another book (or of a forgotten and
  -- re-paired account) is refused with valid-sync-token.
  book_id      TEXT NOT NULL,
  displayname  TEXT NOT NULL,
  -- Bumped by every change to the book; the sync token and the CTag name it.
  revision     INTEGER NOT NULL DEFAULT 0,
  -- The last sequence number given to a change-log entry (seq is per book).
  change_seq   INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One row per resource ever in the book; body NULL: deleted at `revision` (kept so that
-- sync-collection can report it as a 404 response).
CREATE TABLE carddav_cards (
  spid      TEXT NOT NULL REFERENCES carddav_books (spid) ON DELETE CASCADE,
  href      TEXT NOT NULL,
  etag      TEXT NOT NULL,
  body      TEXT,
  revision  INTEGER NOT NULL,
  is_group  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (spid, href)
) STRICT, WITHOUT ROWID;

CREATE INDEX carddav_cards_by_revision ON carddav_cards (spid, revision);

-- The log device's reported changes, coalesced per resource (ADDED then UPDATED is ADDED).
-- `seen`: a run has read it (a deletion of a card no run has seen is simply dropped).
CREATE TABLE carddav_changes (
  spid   TEXT NOT NULL REFERENCES carddav_books (spid) ON DELETE CASCADE,
  href   TEXT NOT NULL,
  state  TEXT NOT NULL CHECK (state IN ('ADDED', 'UPDATED', 'DELETED')),
  seq    INTEGER NOT NULL,
  seen   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (spid, href)
) STRICT, WITHOUT ROWID;
