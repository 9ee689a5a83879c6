// Sync points in the DSS: the paired devices, their order of priority, and what the last
// run left of each (when it ended, how, and whether the device's sync state is lost).
import type { Capacity } from '../core/projection';
import type { ChangeTracking, Spid } from '../core/types';
import type { Db } from './db';
import type { DeviceKind, DeviceLink, DeviceRecord, RunOutcome } from './records';

interface PointRow {
  spid: string;
  name: string;
  kind: string;
  link: string;
  change_tracking: ChangeTracking;
  capacity: string;
  priority: number;
  auto_sync: number;
  config: string;
  created_at: number;
  last_sync_at: number | null;
  last_outcome: string | null;
  lost_state: number;
  read_only: number;
}

const toDevice = (r: PointRow): DeviceRecord => ({
  spid: r.spid,
  name: r.name,
  kind: r.kind as DeviceKind,
  link: r.link as DeviceLink,
  changeTracking: r.change_tracking,
  capacity: JSON.parse(r.capacity) as Capacity,
  priority: r.priority,
  autoSync: r.auto_sync === 1,
  config: JSON.parse(r.config) as Record<string, unknown>,
  createdAt: r.created_at,
  lastSyncAt: r.last_sync_at,
  lastOutcome: r.last_outcome as RunOutcome | null,
  lostState: r.lost_state === 1,
  readOnly: r.read_only === 1,
});

/** This file's statements and transactions, prepared once per connection (Dss.st). */
export function deviceStatements(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  const forget = [p('DELETE FROM maps WHERE spid = ?'), p('DELETE FROM actions WHERE spid = ?'), p('DELETE FROM sync_points WHERE spid = ?')];
  const priority = p('UPDATE sync_points SET priority = ? WHERE spid = ?');
  return {
    points: p('SELECT * FROM sync_points ORDER BY priority, created_at'),
    point: p('SELECT * FROM sync_points WHERE spid = ?'),
    pointPut: p(`INSERT INTO sync_points (spid, name, kind, link, change_tracking, capacity, priority, auto_sync, config, created_at, last_sync_at, last_outcome, lost_state, read_only)
                 VALUES (@spid, @name, @kind, @link, @changeTracking, @capacity, @priority, @autoSync, @config, @createdAt, @lastSyncAt, @lastOutcome, @lostState, @readOnly)
                 ON CONFLICT (spid) DO UPDATE SET name = excluded.name, kind = excluded.kind, link = excluded.link,
                   change_tracking = excluded.change_tracking, capacity = excluded.capacity, priority = excluded.priority,
                   auto_sync = excluded.auto_sync, config = excluded.config, last_sync_at = excluded.last_sync_at,
                   last_outcome = excluded.last_outcome, lost_state = excluded.lost_state, read_only = excluded.read_only`),
    pointFinish: p('UPDATE sync_points SET last_sync_at = ?, last_outcome = ?, lost_state = CASE WHEN ? THEN 0 ELSE lost_state END WHERE spid = ?'),
    /** Forgets a device: its map, its action table and its row, in one transaction. */
    pointForget: db.transaction((spid: Spid) => {
      for (const s of forget) s.run(spid);
    }),
    pointsReorder: db.transaction((order: readonly Spid[]) => {
      order.forEach((spid, i) => priority.run(i, spid));
    }),
  };
}
export type DeviceStatements = ReturnType<typeof deviceStatements>;

export function devices(st: DeviceStatements): DeviceRecord[] {
  return (st.points.all() as PointRow[]).map(toDevice);
}

export function device(st: DeviceStatements, spid: Spid): DeviceRecord | undefined {
  const r = st.point.get(spid) as PointRow | undefined;
  return r ? toDevice(r) : undefined;
}

export function putDevice(st: DeviceStatements, d: DeviceRecord): void {
  st.pointPut.run({
    ...d,
    capacity: JSON.stringify(d.capacity),
    config: JSON.stringify(d.config),
    autoSync: d.autoSync ? 1 : 0,
    lostState: d.lostState ? 1 : 0,
    readOnly: d.readOnly ? 1 : 0,
  });
}

/** A device whose push completed no longer counts as having lost its sync state. */
export function finishDevice(st: DeviceStatements, spid: Spid, at: number, outcome: RunOutcome, pushCompleted: boolean): void {
  st.pointFinish.run(at, outcome, pushCompleted ? 1 : 0, spid);
}
