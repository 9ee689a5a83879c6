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
