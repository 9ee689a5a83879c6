-- CardDAV tombstones are pruned (RFC 6578 §3.2: a server need not keep its change history
-- for ever; a sync token older than what it kept is refused with DAV:valid-sync-token and
-- the client syncs from scratch). Each deleted card's row says when it was deleted, and
-- each book the highest revision whose tombstones are gone: a token below it is refused.

ALTER TABLE carddav_books ADD COLUMN pruned_revision INTEGER NOT NULL DEFAULT 0;

-- NULL for a live card; the deletion time (ms) for a tombstone.
ALTER TABLE carddav_cards ADD COLUMN deleted_at INTEGER;

-- Tombstones already there count from the upgrade: every client keeps its full grace period.
UPDATE carddav_cards SET deleted_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE body IS NULL;

CREATE INDEX carddav_tombstones_by_time ON carddav_cards (spid, deleted_at) WHERE body IS NULL;
