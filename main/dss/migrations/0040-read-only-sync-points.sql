-- A read-only sync point (a phone read over Bluetooth PBAP, an exported file watched in a
-- folder): the hub reads it but never writes to it, so it plans no actions for it
-- (sync-method.md, "Read-only sync points"). Such a device is always a snapshot device;
-- the hub refuses to pair any other as read-only.
ALTER TABLE sync_points ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));
