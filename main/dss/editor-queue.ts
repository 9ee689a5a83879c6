// The editor's queue in the DSS: the user's edits, kept as they are made and consumed by
// the next run, which reconciles them as the editor's changes (the commit before the push
// removes those it consumed).
import type { Contact } from '../core/contact';
import type { EditorEdit } from '../core/run-state';
import type { Guid } from '../core/types';
import type { Db } from './db';

/** This file's statements, prepared once per connection (Dss.st). */
export function queueStatements(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    queue: p('SELECT id, kind, guid, data, base, at FROM editor_queue ORDER BY id'),
    queueDelete: p('DELETE FROM editor_queue WHERE id <= ?'),
    queuePut: p('INSERT INTO editor_queue (kind, guid, data, base, at) VALUES (?, ?, ?, ?, ?)'),
    queueLast: p('SELECT kind, data FROM editor_queue WHERE guid = ? ORDER BY id DESC LIMIT 1'),
  };
}
export type QueueStatements = ReturnType<typeof queueStatements>;

export function queueEdit(st: QueueStatements, e: EditorEdit, at: number): number {
  const info =
    e.kind === 'add'
      ? st.queuePut.run('add', e.id, JSON.stringify(e.data), null, at)
      : st.queuePut.run(e.kind, e.guid, e.kind === 'update' ? JSON.stringify(e.data) : null, JSON.stringify(e.base), at);
  return Number(info.lastInsertRowid);
}

/** The queued edits, collapsed per record: the first base, the last data; a delete ends
 *  it; an edit of a record added in the same queue changes or drops that add. */
export function editorEdits(st: QueueStatements): { edits: EditorEdit[]; upTo: number | null } {
  const rows = st.queue.all() as { id: number; kind: 'add' | 'update' | 'delete'; guid: string | null; data: string | null; base: string | null }[];
  const byGuid = new Map<Guid, EditorEdit>();
  for (const r of rows) {
    const guid = r.guid ?? `editor-${r.id}`;
    const data = JSON.parse(r.data ?? '{}') as Contact;
    const prev = byGuid.get(guid);
    if (r.kind === 'add') {
      byGuid.set(guid, { kind: 'add', id: guid, data });
    } else if (prev?.kind === 'add') {
      if (r.kind === 'delete') byGuid.delete(guid);
      else byGuid.set(guid, { ...prev, data });
    } else if (prev?.kind !== 'delete') {
      const base = prev ? prev.base : (JSON.parse(r.base ?? '{}') as Contact);
      byGuid.set(guid, r.kind === 'delete' ? { kind: 'delete', guid, base } : { kind: 'update', guid, base, data });
    }
  }
  return { edits: [...byGuid.values()], upTo: rows.at(-1)?.id ?? null };
}

/** What the editor last queued for a record not yet reconciled: its data, null when it
 *  was deleted, undefined when nothing is queued for it. */
export function queuedVersion(st: QueueStatements, guid: Guid): Contact | null | undefined {
  const r = st.queueLast.get(guid) as { kind: string; data: string | null } | undefined;
  if (!r) return undefined;
  return r.kind === 'delete' ? null : (JSON.parse(r.data ?? '{}') as Contact);
}
