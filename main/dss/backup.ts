// Backups of the DSS: SQLite's online backup (better-sqlite3's backup()) once a day and on
// demand, a consistent copy before every migration, the last N kept (a setting); and the
// reading of a backup's truth, for "restore from a backup" (done as editor edits by the hub,
// never by swapping the DSS under devices whose state moved on).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Contact } from '../core/contact';
import type { Guid } from '../core/types';
import type { Db, Migration } from './db';

/** How many automatic backups are kept (a setting; default 7). */
export const BACKUP_KEEP_PREF = 'backupKeep';
export const DEFAULT_BACKUP_KEEP = 7;
const DAY_MS = 24 * 60 * 60 * 1000;
const AUTO = /^concord-(daily|pre-migration)-\d{8}T\d{6}(-\d+)?\.sqlite$/;

export function backupDir(dbFile: string): string {
  return path.join(path.dirname(dbFile), 'backups');
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/** The time in an automatic backup's name (UTC, to the second). */
function stampTime(name: string): number | undefined {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(name);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

function freeName(dir: string, base: string): string {
  let f = path.join(dir, `${base}.sqlite`);
  for (let i = 1; fs.existsSync(f); i++) f = path.join(dir, `${base}-${i}.sqlite`);
  return f;
}

/** A copy of the DSS in `file`, taken with SQLite's online backup while the hub runs (a
 *  run may write meanwhile: the copy is of one consistent state). Written beside its name
 *  first, so a crash never leaves a half-written backup under it. */
export async function backupTo(db: Db, file: string): Promise<string> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.partial`;
  fs.rmSync(tmp, { force: true });
  await db.backup(tmp);
  fs.renameSync(tmp, file);
  return file;
}

/** The automatic backups in a folder, newest first (by the time in their names). */
export function listBackups(dir: string): { file: string; at: number }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => AUTO.test(f))
    .map((f) => ({ file: path.join(dir, f), at: stampTime(f) ?? fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at || (a.file < b.file ? 1 : -1));
}

export function backupKeep(db: Db): number {
  const v = db.prepare('SELECT value FROM prefs WHERE key = ?').pluck().get(BACKUP_KEEP_PREF) as string | undefined;
  const n = v === undefined ? DEFAULT_BACKUP_KEEP : Number(v);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_BACKUP_KEEP;
}

/** Keeps the newest `keep` automatic backups (a backup the user named is never removed). */
export function pruneBackups(dir: string, keep: number): void {
  for (const b of listBackups(dir).slice(keep)) fs.rmSync(b.file, { force: true });
}

/** The daily backup, when the newest automatic one is a day old or there is none. */
export async function dailyBackup(db: Db, dbFile: string, now: number): Promise<string | null> {
  const dir = backupDir(dbFile);
  const newest = listBackups(dir)[0];
  if (newest && now - newest.at < DAY_MS) return null;
  const file = await backupTo(db, freeName(dir, `concord-daily-${stamp(now)}`));
  pruneBackups(dir, backupKeep(db));
  return file;
}

/** Before migrating a DSS that holds data: a consistent copy of it as it is (VACUUM INTO,
 *  synchronous like the opening itself). Nothing when no migration is due. */
export function backupBeforeMigration(db: Db, file: string, migrations: readonly Migration[]): void {
  if (file === ':memory:') return;
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current === 0 || current >= latest) return;
  const dir = backupDir(file);
  fs.mkdirSync(dir, { recursive: true });
  const target = freeName(dir, `concord-pre-migration-${stamp(Date.now())}`);
  db.prepare('VACUUM INTO ?').run(target);
  pruneBackups(dir, DEFAULT_BACKUP_KEEP);
}

/** The truth of a backup file, read-only. Throws when the file is no Concord database. */
export function readBackupTruth(file: string): Map<Guid, Contact> {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'truth'").get();
    if (!has) throw new Error(`${file} is not a Concord backup (it has no contacts table)`);
    const rows = db.prepare('SELECT guid, contact FROM truth ORDER BY seq').all() as { guid: string; contact: string }[];
    return new Map(rows.map((r) => [r.guid, JSON.parse(r.contact) as Contact]));
  } catch (e) {
    if (/not a database|malformed/i.test((e as Error).message)) throw new Error(`${file} is not a Concord backup (${(e as Error).message})`, { cause: e });
    throw e;
  } finally {
    db.close();
  }
}
