// Undos and the runs that carried them out (sync-method.md, "The safety net"). Undoing run
// X queues editor edits; the next run to consume them reconciles them with every device
// and so carries the undo out. Undoing that run undoes the undo. The link is stored: the
// undo keeps the last queue entry it made, and the commit that removes the queue up to
// that entry names its run.
import type { Db } from './db';

class Undos {
  private readonly st;
  constructor(db: Db) {
    this.st = {
      put: db.prepare('INSERT INTO undos (run_id, at, queued_upto) VALUES (?, ?, ?)'),
      carried: db.prepare('UPDATE undos SET carried_by = ? WHERE carried_by IS NULL AND queued_upto <= ?'),
      carriedBy: db.prepare('SELECT DISTINCT run_id FROM undos WHERE carried_by = ? ORDER BY run_id').pluck(),
    };
  }

  /** An undo of `runId` queued its edits up to queue entry `upTo`. */
  queued(runId: number, at: number, upTo: number): void {
    this.st.put.run(runId, at, upTo);
  }

  /** The commit of run `runId` consumed the editor queue up to entry `upTo`: the undos whose
   *  edits were all in it are carried out by that run. In the commit's transaction. */
  carried(runId: number, upTo: number): void {
    this.st.carried.run(runId, upTo);
  }

  /** The runs whose undo run `runId` carried out. */
  undidBy(runId: number): number[] {
    return this.st.carriedBy.all(runId) as number[];
  }
}

const byDb = new WeakMap<Db, Undos>();
export function undosOf(db: Db): Undos {
  let u = byDb.get(db);
  if (!u) byDb.set(db, (u = new Undos(db)));
  return u;
}
