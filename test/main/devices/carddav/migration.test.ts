// Migration 0050 (the CardDAV books) on a database that holds data: the data stays, the
// books appear, and a forgotten account takes its book with it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadMigrations, migrate, openDb } from '../../../../main/dss/db';
import { CarddavStore } from '../../../../main/dss/carddav-store';
import Database from 'better-sqlite3';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('upgrades a database holding devices and contacts, keeping them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-carddav-mig-'));
  dirs.push(dir);
  const file = path.join(dir, 'concord.sqlite');
  const all = loadMigrations();
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  const before50 = all.filter((m) => m.version < 50);
  migrate(old, before50);
  expect(old.pragma('user_version', { simple: true })).toBe(before50.at(-1)!.version);
  old.prepare("INSERT INTO sync_points (spid, name, kind, link, change_tracking, priority, created_at) VALUES ('mac', 'Mac', 'carddav', 'lan', 'log', 1, 1000)").run();
  old.prepare("INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES ('g1', 1, '{}', '{}', 'kept', 2000)").run();
  const before = { points: old.prepare('SELECT * FROM sync_points').all(), truth: old.prepare('SELECT * FROM truth').all() };
  old.close();

  const db = openDb(file);
  expect(db.pragma('user_version', { simple: true })).toBe(all.at(-1)!.version);
  expect(db.prepare('SELECT * FROM sync_points').all()).toEqual(before.points);
  expect(db.prepare('SELECT * FROM truth').all()).toEqual(before.truth);
  const store = new CarddavStore(db);
  const book = store.ensureBook('mac');
  expect(book.revision).toBe(0);
  db.transaction(() => {
    const rev = store.bump('mac');
    store.putCard('mac', 'a.vcf', '"e1"', 'BEGIN:VCARD\r\nEND:VCARD\r\n', rev, false);
    store.logChange('mac', 'a.vcf', 'ADDED');
  })();
  expect(store.changedSince('mac', 0)).toEqual([{ href: 'a.vcf', etag: '"e1"', gone: 0 }]);
  // The per-request lookups use the indexes, never a scan of the book.
  const plan = db.prepare('EXPLAIN QUERY PLAN SELECT href, etag FROM carddav_cards WHERE spid = ? AND revision > ?').all('mac', 0) as { detail: string }[];
  expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX/);
  db.prepare("DELETE FROM sync_points WHERE spid = 'mac'").run();
  expect(db.prepare('SELECT count(*) AS n FROM carddav_cards').get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT count(*) AS n FROM carddav_books').get()).toEqual({ n: 0 });
  db.close();
});
