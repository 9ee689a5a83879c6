-- History (sync-method.md, "The safety net"): one entry per record per committed run that
-- changed it. An entry keeps the version before the run (`before`; null for a record the
-- run added) and, per changed element, the sync point that wrote it (`writers`, JSON
-- element key -> SPID; '*' stands for every element). The version after the run is the
-- next entry's `before`, or the truth's current version (none for a deletion), so a first
-- sync of 100,000 contacts writes no second copy of each. A deleted record keeps its last
-- version in `before` ("recently deleted"). A restore leaves a 'restored' marker on the
-- deleted record (run_id 0: the user's action, not a run), naming the new record in `note`.
CREATE TABLE history (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL,
  guid    TEXT NOT NULL,
  kind    TEXT NOT NULL CHECK (kind IN ('added', 'updated', 'deleted', 'restored')),
  before  TEXT,
  writers TEXT NOT NULL,
  note    TEXT,
  at      INTEGER NOT NULL
) STRICT;
CREATE INDEX history_guid ON history (guid, id);
CREATE INDEX history_run ON history (run_id);
-- "Recently deleted" is read without a scan of every entry.
CREATE INDEX history_deleted ON history (id) WHERE kind = 'deleted';

-- When the user asked to undo a run (its edits are then queued in the editor).
ALTER TABLE runs ADD COLUMN undone_at INTEGER;

-- Records deleted before history was kept are "recently deleted" too: their last version
-- is in the tombstones.
INSERT INTO history (run_id, guid, kind, before, writers, at)
  SELECT t.run_id, t.guid, 'deleted', t.contact, json_object('*', t.spid), coalesce(r.finished_at, r.started_at, 0)
  FROM tombstones t LEFT JOIN runs r ON r.id = t.run_id
  WHERE NOT EXISTS (SELECT 1 FROM truth WHERE truth.guid = t.guid)
  ORDER BY t.run_id, t.guid;
