-- The DSS: the truth, per device the GUID<->LUID map with each record's base, the action
-- tables, the conflict log, preferences, the editor's queue and the sync history.

CREATE TABLE prefs (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE sync_points (
  spid            TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  kind            TEXT NOT NULL,
  link            TEXT NOT NULL,
  change_tracking TEXT NOT NULL CHECK (change_tracking IN ('log', 'snapshot')),
  capacity        TEXT NOT NULL DEFAULT '{}',
  priority        INTEGER NOT NULL,
  auto_sync       INTEGER NOT NULL DEFAULT 0,
  config          TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL,
  last_sync_at    INTEGER,
  last_outcome    TEXT,
  lost_state      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE truth (
  guid       TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL UNIQUE,
  contact    TEXT NOT NULL,
  prov       TEXT NOT NULL,
  sort_name  TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX truth_sort ON truth (sort_name, seq);

-- The duplicate detector's keys: n:<name>, t:<E.164>, e:<e-mail>.
CREATE TABLE dup_keys (
  key  TEXT NOT NULL,
  guid TEXT NOT NULL,
  PRIMARY KEY (key, guid)
) STRICT, WITHOUT ROWID;
CREATE INDEX dup_keys_guid ON dup_keys (guid);

CREATE TABLE maps (
  spid TEXT NOT NULL,
  guid TEXT NOT NULL,
  luid TEXT NOT NULL,
  base TEXT,
  base_run INTEGER NOT NULL DEFAULT 0,
  sent TEXT,
  PRIMARY KEY (spid, guid)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX maps_luid ON maps (spid, luid);

CREATE TABLE actions (
  spid   TEXT NOT NULL,
  guid   TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('ADD', 'UPDATE', 'DELETE')),
  seq    INTEGER NOT NULL,
  since  INTEGER NOT NULL,
  run    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (spid, guid)
) STRICT, WITHOUT ROWID;
-- (The push list of a device is read by its primary key's prefix and sorted: a first sync
-- writes 100,000 rows per device, and a second index on them would double that work.)

CREATE TABLE editor_queue (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('add', 'update', 'delete')),
  guid TEXT,
  data TEXT,
  base TEXT,
  at   INTEGER NOT NULL
) STRICT;

CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  devices     TEXT NOT NULL,
  counts      TEXT NOT NULL DEFAULT '{}',
  conflicts   INTEGER NOT NULL DEFAULT 0,
  outcome     TEXT,
  error       TEXT
) STRICT;

CREATE TABLE conflicts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  guid        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  result      TEXT,
  versions    TEXT NOT NULL,
  elements    TEXT NOT NULL,
  resolved_at INTEGER
) STRICT;
CREATE INDEX conflicts_guid ON conflicts (guid);

CREATE TABLE device_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id  INTEGER,
  spid    TEXT NOT NULL,
  at      INTEGER NOT NULL,
  level   TEXT NOT NULL,
  luid    TEXT,
  message TEXT NOT NULL
) STRICT;
CREATE INDEX device_log_spid ON device_log (spid, id);

-- Who deleted a record from the truth, and what it was: a device that edits a record the
-- truth already deleted (R1) is told to delete it again, and its version goes to the
-- conflict log against this one, so nothing is lost.
CREATE TABLE tombstones (
  guid    TEXT PRIMARY KEY,
  spid    TEXT NOT NULL,
  run_id  INTEGER NOT NULL,
  contact TEXT NOT NULL
) STRICT;
