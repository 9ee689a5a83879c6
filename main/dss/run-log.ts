// The log the DSS keeps of runs: each run's summary, the conflicts reconciliation resolved
// (written by the commit before the push; the user may mark one as seen), and each
// device's own log of what happened to it.
import type { Contact } from '../core/contact';
import type { Luid, Spid } from '../core/types';
import type { Db } from './db';
import type { ConflictEntry, RunCounts, RunOutcome, RunSummary } from './records';

interface RunRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  devices: string;
  counts: string;
  conflicts: number;
  outcome: string | null;
  error: string | null;
}
interface ConflictRow {
  id: number;
  run_id: number;
  at: number;
  guid: string;
  kind: ConflictEntry['kind'];
  result: string | null;
  versions: string;
  elements: string;
  resolved_at: number | null;
}

const toRun = (r: RunRow): RunSummary => ({
  id: r.id,
  startedAt: r.started_at,
  finishedAt: r.finished_at ?? r.started_at,
  devices: JSON.parse(r.devices) as Spid[],
  counts: JSON.parse(r.counts) as Record<Spid, RunCounts>,
  conflicts: r.conflicts,
  outcome: (r.outcome ?? 'failed') as RunOutcome,
  ...(r.error ? { error: r.error } : {}),
});

const toConflict = (r: ConflictRow): ConflictEntry => ({
  id: r.id,
  runId: r.run_id,
  at: r.at,
  guid: r.guid,
  kind: r.kind,
  result: r.result ? (JSON.parse(r.result) as Contact) : null,
  versions: JSON.parse(r.versions) as ConflictEntry['versions'],
  elements: JSON.parse(r.elements) as ConflictEntry['elements'],
  resolvedAt: r.resolved_at,
});

/** This file's statements, prepared once per connection (Dss.st; commit.ts writes the
 *  conflicts with conflictPut). */
export function runLogStatements(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    runStart: p('INSERT INTO runs (started_at, devices) VALUES (?, ?)'),
    runFinish: p('UPDATE runs SET finished_at = ?, counts = ?, conflicts = ?, outcome = ?, error = ? WHERE id = ?'),
    runs: p('SELECT * FROM runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT ?'),
    conflictPut: p('INSERT INTO conflicts (run_id, at, guid, kind, result, versions, elements) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    conflicts: p('SELECT * FROM conflicts ORDER BY id DESC LIMIT ?'),
    conflict: p('SELECT * FROM conflicts WHERE id = ?'),
    conflictCount: p('SELECT count(*) FROM conflicts').pluck(),
    conflictResolved: p('UPDATE conflicts SET resolved_at = ? WHERE id = ?'),
    logPut: p('INSERT INTO device_log (run_id, spid, at, level, luid, message) VALUES (?, ?, ?, ?, ?, ?)'),
    logOf: p('SELECT id, run_id, at, level, luid, message FROM device_log WHERE spid = ? ORDER BY id DESC LIMIT ?'),
  };
}
export type RunLogStatements = ReturnType<typeof runLogStatements>;

export interface DeviceLogEntry {
  id: number;
  runId: number | null;
  at: number;
  level: string;
  luid: string | null;
  message: string;
}

// ---- runs ------------------------------------------------------------------------------
export function startRun(st: RunLogStatements, at: number, devices: readonly Spid[]): number {
  return Number(st.runStart.run(at, JSON.stringify(devices)).lastInsertRowid);
}

export function finishRun(st: RunLogStatements, s: RunSummary): void {
  st.runFinish.run(s.finishedAt, JSON.stringify(s.counts), s.conflicts, s.outcome, s.error ?? null, s.id);
}

/** The finished runs, newest first. */
export function runs(st: RunLogStatements, limit: number): RunSummary[] {
  return (st.runs.all(limit) as RunRow[]).map(toRun);
}

// ---- conflicts ---------------------------------------------------------------------------
export function conflicts(st: RunLogStatements, limit: number): ConflictEntry[] {
  return (st.conflicts.all(limit) as ConflictRow[]).map(toConflict);
}

export function conflict(st: RunLogStatements, id: number): ConflictEntry | undefined {
  const r = st.conflict.get(id) as ConflictRow | undefined;
  return r ? toConflict(r) : undefined;
}

export function conflictCount(st: RunLogStatements): number {
  return st.conflictCount.get() as number;
}

export function markConflictResolved(st: RunLogStatements, id: number, at: number): void {
  st.conflictResolved.run(at, id);
}

// ---- the device log -----------------------------------------------------------------------
export function logDevice(st: RunLogStatements, runId: number | null, spid: Spid, at: number, level: 'info' | 'warn' | 'error', luid: Luid | null, message: string): void {
  st.logPut.run(runId, spid, at, level, luid, message);
}

/** A device's log, newest first. */
export function deviceLog(st: RunLogStatements, spid: Spid, limit: number): DeviceLogEntry[] {
  return (st.logOf.all(spid, limit) as { id: number; run_id: number | null; at: number; level: string; luid: string | null; message: string }[]).map((r) => ({
    id: r.id,
    runId: r.run_id,
    at: r.at,
    level: r.level,
    luid: r.luid,
    message: r.message,
  }));
}
