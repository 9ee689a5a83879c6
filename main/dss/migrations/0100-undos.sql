-- Which run carried out each undo (sync-method.md, "The safety net": an undo is a batch of
-- editor edits reconciled by the next run, and undoing that run undoes the undo). An undo
-- keeps the last editor-queue entry it queued; the run that consumes the queue up
-- to that entry is the one that carried it out. Undos made before this table have no link.
CREATE TABLE undos (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  queued_upto INTEGER NOT NULL,
  carried_by  INTEGER
) STRICT;
CREATE INDEX undos_waiting ON undos (queued_upto) WHERE carried_by IS NULL;
CREATE INDEX undos_carried ON undos (carried_by) WHERE carried_by IS NOT NULL;
