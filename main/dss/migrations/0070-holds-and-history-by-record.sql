-- Held mass deletions (sync-method.md, "Held mass deletions"): per device, the records
-- whose deletion is held, each with the map entry (LUID, base) that moved into the hold.
-- `approved_at`: the user approved the deletion; it is reconciled at the next run as that
-- device's DELETED state.
CREATE TABLE holds (
  spid        TEXT NOT NULL,
  guid        TEXT NOT NULL,
  luid        TEXT NOT NULL,
  base        TEXT,
  base_run    INTEGER NOT NULL DEFAULT 0,
  run_id      INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  approved_at INTEGER,
  PRIMARY KEY (spid, guid)
) STRICT, WITHOUT ROWID;
CREATE INDEX holds_guid ON holds (guid);

-- A record's history is found through this table, which the hub fills off the run's path
-- (History.catchUp, before any read by record): an index on history (guid) took a random
-- page write per record a run changed, in the write before the push.
DROP INDEX history_guid;
CREATE TABLE history_by_record (
  guid TEXT NOT NULL,
  id   INTEGER NOT NULL,
  PRIMARY KEY (guid, id)
) STRICT, WITHOUT ROWID;
INSERT INTO history_by_record (guid, id) SELECT guid, id FROM history;
INSERT INTO prefs (key, value) SELECT 'historyIndexedUpTo', CAST(coalesce(max(id), 0) AS TEXT) FROM history WHERE true
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
