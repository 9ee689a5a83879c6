// The safety net's requests (sync-method.md, "The safety net"): undo a run, recently
// deleted, a contact's history, held mass deletions, and the safety settings (the guard,
// history retention, backups). Arguments are validated in handlers.ts with every other
// request; the ranges a person can get wrong are checked here, with reasons in plain words.
import fs from 'node:fs';
import path from 'node:path';
import { backupDir, backupKeep, pruneBackups } from '../dss/backup';
import { MIN_RETENTION_DAYS } from '../dss/history';
import type { Hub } from '../hub/hub';
import type { ArgsOf, BackupInfo, HeldDevice, HoldView, ResultOf, RunSummary, RunView, SafetySettings } from './contract';

type SafetyRequest = 'runs:undoPreview' | 'runs:undo' | 'contacts:deleted' | 'contacts:restore' | 'contacts:history' | 'holds:list' | 'holds:approve' | 'holds:keep';

/** The settings' limits, checked by the hub whatever the UI let through. */
export const SAFETY_LIMITS = {
  maxDeletes: 100_000,
  maxRetentionDays: 36_500,
  maxBackups: 365,
} as const;

/** Where the guard's thresholds are kept while it is off (the guard's own preference then
 *  says only 'off'), so turning it on again brings them back. */
const GUARD_THRESHOLDS_PREF = 'guard.thresholds';

/** Raised for a value the user must correct; handlers.ts turns it into an 'invalid' error. */
export class SettingProblem extends Error {}

/** The words of a hold, for the banner and the notification alike. */
export function holdWords(h: { name: string; count: number; approved: boolean }): { headline: string; detail: string; action: string } {
  const n = `${h.count} ${h.count === 1 ? 'contact' : 'contacts'}`;
  return {
    headline: `Your ${h.name} deleted ${n}.`,
    detail: h.approved ? `${h.count === 1 ? 'It' : 'They'} will be deleted everywhere at the next sync.` : 'Nothing was deleted elsewhere.',
    action: h.approved ? '' : 'Open Concord to delete them everywhere or keep them.',
  };
}

/** A hold's key: the device and when its hold began (a later hold of the same device, after
 *  an answer, is a new one). */
export function holdKey(h: Pick<HeldDevice, 'spid' | 'since'>): string {
  return `${h.spid}@${h.since}`;
}

export function holdViews(hub: Hub): HoldView[] {
  return hub.holds().map((h) => {
    const name = hub.device(h.spid)?.name ?? h.spid;
    return { ...h, name, ...holdWords({ name, count: h.count, approved: h.approved }), key: holdKey(h) };
  });
}

/** The runs for Activity: each with when it was undone, and the undos it carried out (the
 *  DSS keeps which run consumed an undo's editor edits). */
export function runViews(hub: Hub, runs: RunSummary[]): RunView[] {
  return runs.map((r) => ({ ...r, undoneAt: hub.runUndoneAt(r.id), undoOf: hub.runUndid(r.id) }));
}

/** The safety settings as they are now. */
export function safetySettings(hub: Hub, dataDir: string): SafetySettings {
  const rule = hub.guard();
  const kept = rule ?? savedThresholds(hub);
  const dir = backupDir(path.join(dataDir, 'concord.sqlite'));
  return {
    guard: { on: rule !== null, deletes: kept.deletes, percent: kept.share === null ? 0 : Math.round(kept.share * 100) },
    retentionDays: hub.historyRetention(),
    minRetentionDays: MIN_RETENTION_DAYS,
    backups: { keep: backupKeep(hub.dss.db), dir, latest: latestBackup(dir) },
  };
}

function savedThresholds(hub: Hub): { deletes: number; share: number | null } {
  try {
    const v = JSON.parse(hub.dss.pref(GUARD_THRESHOLDS_PREF) ?? 'null') as { deletes?: unknown; share?: unknown } | null;
    if (v && typeof v.deletes === 'number' && (v.share === null || typeof v.share === 'number')) return { deletes: v.deletes, share: v.share };
  } catch {
    // A preference written by hand that does not parse: the defaults.
  }
  return { deletes: 10, share: 0.1 };
}

/** The newest backup in the folder: an automatic one or one made with "Back up now". */
function latestBackup(dir: string): BackupInfo | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => /^concord-.*\.sqlite$/.test(f));
  } catch {
    return null;
  }
  let best: BackupInfo | null = null;
  for (const f of names) {
    const file = path.join(dir, f);
    const at = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (at !== undefined && (!best || at > best.at)) best = { file, at: Math.round(at) };
  }
  return best;
}

export function setGuard(hub: Hub, { on, deletes, percent }: ArgsOf<'settings:setGuard'>): void {
  if (deletes < 0 || deletes > SAFETY_LIMITS.maxDeletes) throw new SettingProblem(`The number of deletions is a whole number from 0 to ${SAFETY_LIMITS.maxDeletes.toLocaleString('en-GB')}.`);
  if (percent < 0 || percent > 100) throw new SettingProblem('The share of the contacts is a whole number of percent, from 0 to 100.');
  const rule = { deletes, share: percent === 0 ? null : percent / 100 };
  hub.dss.setPref(GUARD_THRESHOLDS_PREF, JSON.stringify(rule));
  hub.setGuard(on ? rule : null);
}

export function setRetention(hub: Hub, days: number | null): void {
  if (days !== null && days < MIN_RETENTION_DAYS) {
    throw new SettingProblem(`History is kept at least ${MIN_RETENTION_DAYS} days, so that any sync of the last month can be undone.`);
  }
  if (days !== null && days > SAFETY_LIMITS.maxRetentionDays) throw new SettingProblem(`At most ${SAFETY_LIMITS.maxRetentionDays.toLocaleString('en-GB')} days; choose "Forever" to keep all of it.`);
  hub.setHistoryRetention(days);
}

export function setBackupKeep(hub: Hub, dataDir: string, keep: number): void {
  if (keep < 1 || keep > SAFETY_LIMITS.maxBackups) throw new SettingProblem(`Keep from 1 to ${SAFETY_LIMITS.maxBackups} backups.`);
  hub.setBackupKeep(keep);
  // Fewer kept: the oldest automatic backups go now, as they would at the next daily one.
  pruneBackups(backupDir(path.join(dataDir, 'concord.sqlite')), keep);
}

export async function backupNow(hub: Hub): Promise<BackupInfo> {
  const file = await hub.backup();
  return { file, at: Math.round(fs.statSync(file).mtimeMs) };
}

export function safetyHandlers(hub: Hub): { [K in SafetyRequest]: (args: ArgsOf<K>) => ResultOf<K> } {
  return {
    'runs:undoPreview': ({ runId }) => hub.undoPreview(runId),
    'runs:undo': ({ runId }) => hub.undoRun(runId),
    'contacts:deleted': () => hub.recentlyDeleted(),
    'contacts:restore': ({ guid }) => ({ queued: hub.restoreContact(guid) }),
    'contacts:history': ({ guid }) => hub.contactHistory(guid),
    'holds:list': () => holdViews(hub),
    'holds:approve': ({ spid }) => ({ count: hub.approveHolds(spid) }),
    'holds:keep': ({ spid }) => ({ count: hub.keepHolds(spid) }),
  };
}
