// The safety net's actions on the hub (sync-method.md, "The safety net" and "Decisions on
// the extensions"): undo a run, restore a deleted contact. Both only queue edits of the
// hub's editor, reconciled at the next run like any other.
import { contactSignature, diffElements, fromElements, toElements, type Contact } from '../core/contact';
import { readBackupTruth } from '../dss/backup';
import type { Guid, Spid } from '../core/types';
import { undosOf } from '../dss/undos';
import { historyOf, type HistoryEntry } from '../dss/history';
import type { Dss } from '../dss/store';

export type { DeletedRecord, HistoryEntry, HistoryKind } from '../dss/history';
export type { HeldDevice } from '../dss/holds';

export interface SafetyContext {
  dss: Dss;
  now: () => number;
  newGuid: () => string;
}

/** What undoing a run will do to one record. */
export interface UndoChange {
  guid: Guid;
  name: string;
  /** delete: the run added it; add: the run deleted it (added back under a new GUID);
   *  update: the elements the run changed are set back. */
  edit: 'delete' | 'add' | 'update';
  /** The record now, and as the undo leaves it. */
  now: Contact | null;
  then: Contact | null;
  /** The devices the change will reach (those that hold the record, or all for an add). */
  devices: Spid[];
}

export interface UndoPreview {
  runId: number;
  /** When the run was undone before (its edits were queued then), if it was. */
  undoneAt: number | null;
  changes: UndoChange[];
  /** Records changed since the run: left as they are. */
  leftAlone: { guid: Guid; name: string; reason: string }[];
}

export function nameOf(c: Contact | null | undefined): string {
  if (!c) return '';
  return c.fn || c.n.filter(Boolean).join(' ') || c.tel[0]?.value || c.email[0]?.value || '(no name)';
}

/** What undoing the run would do, record by record: a record is left alone when a later
 *  history entry or a still-queued editor edit changed it since. */
export function undoPreview(ctx: SafetyContext, runId: number): UndoPreview {
  const h = historyOf(ctx.dss.db);
  const devices = ctx.dss.devices().filter((d) => d.kind !== 'editor').map((d) => d.spid);
  const holders = (guid: Guid) => devices.filter((s) => ctx.dss.mapOf(s, guid) !== undefined);
  const out: UndoPreview = { runId, undoneAt: h.undoneAt(runId), changes: [], leftAlone: [] };
  for (const e of h.ofRun(runId)) {
    const name = nameOf(e.after ?? e.before);
    if (h.changedSince(e.guid, e.id)) {
      out.leftAlone.push({ guid: e.guid, name, reason: e.kind === 'deleted' ? 'restored or changed since' : 'changed since' });
      continue;
    }
    if (ctx.dss.queuedVersion(e.guid) !== undefined) {
      out.leftAlone.push({ guid: e.guid, name, reason: 'edited in Concord since (not yet synced)' });
      continue;
    }
    const current = ctx.dss.truth(e.guid)?.contact ?? null;
    switch (e.kind) {
      case 'added':
        if (current) out.changes.push({ guid: e.guid, name, edit: 'delete', now: current, then: null, devices: holders(e.guid) });
        break;
      case 'deleted':
        if (e.before && !current) out.changes.push({ guid: e.guid, name, edit: 'add', now: null, then: e.before, devices });
        break;
      case 'updated': {
        if (!current || !e.before) break;
        const then = reverse(e, current);
        out.changes.push({ guid: e.guid, name, edit: 'update', now: current, then, devices: holders(e.guid) });
        break;
      }
      case 'restored':
        break;
    }
  }
  return out;
}

/** The record with the elements the run changed set back, element by element. */
function reverse(e: HistoryEntry, current: Contact): Contact {
  const before = toElements(e.before!);
  const els = toElements(current);
  for (const d of diffElements(before, toElements(e.after ?? current))) {
    const old = before.get(d.key);
    if (old === undefined) els.delete(d.key);
    else els.set(d.key, old);
  }
  return fromElements(els);
}

/** Undoes a run: one batch of editor edits, in one transaction, reconciled at the next run
 *  (itself a run that can be undone). */
export function undoRun(ctx: SafetyContext, runId: number): UndoPreview {
  const preview = undoPreview(ctx, runId);
  const h = historyOf(ctx.dss.db);
  const at = ctx.now();
  ctx.dss.db.transaction(() => {
    let last = 0;
    for (const c of preview.changes) {
      if (c.edit === 'delete') last = ctx.dss.queueEdit({ kind: 'delete', guid: c.guid, base: c.now! }, at);
      else if (c.edit === 'update') last = ctx.dss.queueEdit({ kind: 'update', guid: c.guid, base: c.now!, data: c.then! }, at);
      else {
        // Added back as a restore: under a new GUID, out of "recently deleted".
        const id = ctx.newGuid();
        last = ctx.dss.queueEdit({ kind: 'add', id, data: c.then! }, at);
        h.markRestored(c.guid, id, at);
      }
    }
    h.markUndone(runId, at);
    // The run that consumes these edits carries the undo out (and can itself be undone).
    if (last > 0) undosOf(ctx.dss.db).queued(runId, at, last);
  })();
  return preview;
}

/** Restores a contact from "recently deleted": an editor add of its full last version under
 *  a new GUID. Returns that GUID, or undefined when the record is not there (never deleted,
 *  or restored already). */
export function restoreDeleted(ctx: SafetyContext, guid: Guid): Guid | undefined {
  const h = historyOf(ctx.dss.db);
  const d = h.deleted(guid);
  if (!d) return undefined;
  const id = ctx.newGuid();
  const at = ctx.now();
  ctx.dss.db.transaction(() => {
    ctx.dss.queueEdit({ kind: 'add', id, data: d.contact }, at);
    h.markRestored(guid, id, at);
  })();
  return id;
}

/** What restoring a backup changes: the truth made equal to the backup's, as editor edits. */
export interface RestorePreview {
  file: string;
  add: { name: string; contact: Contact }[];
  update: { guid: Guid; name: string; now: Contact; then: Contact }[];
  delete: { guid: Guid; name: string; now: Contact }[];
  unchanged: number;
}

/** Compares the truth with a backup's: by GUID, then (for records restored or re-added
 *  under another GUID since) by content. */
export function restorePreview(ctx: SafetyContext, file: string): RestorePreview {
  const backup = readBackupTruth(file);
  const current = new Map(ctx.dss.allTruth().map((r) => [r.guid, r.contact]));
  const out: RestorePreview = { file, add: [], update: [], delete: [], unchanged: 0 };
  const restLeft = new Map<string, Contact[]>();
  const restNow = new Map<Guid, Contact>();
  for (const [guid, then] of backup) {
    const now = current.get(guid);
    if (!now) {
      const sig = contactSignature(then);
      restLeft.set(sig, [...(restLeft.get(sig) ?? []), then]);
      continue;
    }
    current.delete(guid);
    if (contactSignature(now) === contactSignature(then)) out.unchanged += 1;
    else out.update.push({ guid, name: nameOf(then), now, then });
  }
  for (const [guid, now] of current) {
    const same = restLeft.get(contactSignature(now));
    if (same && same.length > 0) {
      same.pop();
      out.unchanged += 1;
    } else restNow.set(guid, now);
  }
  for (const list of restLeft.values()) for (const c of list) out.add.push({ name: nameOf(c), contact: c });
  for (const [guid, now] of restNow) out.delete.push({ guid, name: nameOf(now), now });
  return out;
}

/** Makes the truth equal to the backup's, as one batch of editor edits (then reconciled and
 *  synced everywhere like any other). */
export function restoreBackup(ctx: SafetyContext, file: string): RestorePreview {
  const p = restorePreview(ctx, file);
  const at = ctx.now();
  ctx.dss.db.transaction(() => {
    for (const u of p.update) ctx.dss.queueEdit({ kind: 'update', guid: u.guid, base: u.now, data: u.then }, at);
    for (const d of p.delete) ctx.dss.queueEdit({ kind: 'delete', guid: d.guid, base: d.now }, at);
    for (const a of p.add) ctx.dss.queueEdit({ kind: 'add', id: ctx.newGuid(), data: a.contact }, at);
  })();
  return p;
}
