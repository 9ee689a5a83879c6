// Deleted cards' tombstones are pruned after the keep period (RFC 6578 §3.2): a sync token
// from before the pruning is refused with DAV:valid-sync-token, a recent one still works,
// and a client that starts again from scratch converges. Migration 0090 on a DSS holding
// CardDAV books.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_TOMBSTONES_MS } from '../../../../main/devices/carddav/service';
import { CarddavStore } from '../../../../main/dss/carddav-store';
import { loadMigrations, migrate, openDb } from '../../../../main/dss/db';
import { basic, card, dav, startHub, until, type TestHub } from './harness';

const A = basic('alice', 'secret1');
const SYNC = (token: string) => `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;
const tokenOf = (xml: string) => /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(xml)?.[1] ?? '';
const DAY = 24 * 3600 * 1000;

/** What a sync-collection answer says: live hrefs with ETags, and deleted hrefs. */
function parse(xml: string) {
  const live = new Map<string, string>();
  const gone: string[] = [];
  for (const m of xml.matchAll(/<d:response><d:href>([^<]+)<\/d:href>([\s\S]*?)<\/d:response>/g)) {
    const etag = /<d:getetag>([^<]+)<\/d:getetag>/.exec(m[2]!)?.[1];
    if (etag) live.set(m[1]!, etag);
    else if (/404/.test(m[2]!)) gone.push(m[1]!);
  }
  return { live, gone };
}

describe('tombstones pruned', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('tomb', [['alice', 'secret1']]);
  });
  afterAll(async () => t.close());

  const report = (token: string) => dav(t.base, 'REPORT', '/dav/alice/contacts/', { auth: A, body: SYNC(token) });
  const settled = () => until(() => t.ep.carddav!.isOnline(t.spids.alice!) && t.ep.carddav!.pendingChanges(t.spids.alice!) === 0 && !t.hub.running());

  it('refuses a token older than the kept tombstones; a recent one works; a fresh sync converges', async () => {
    for (const [u, fn] of [
      ['a', 'Ada Lovelace'],
      ['b', 'Grace Hopper'],
      ['c', 'Alan Turing'],
    ] as const) {
      expect((await dav(t.base, 'PUT', `/dav/alice/contacts/${u}.vcf`, { auth: A, body: card(u, fn), headers: { 'if-none-match': '*' } })).status).toBe(201);
    }
    await settled();
    // The client's state: a full sync.
    const full = await report('');
    const t0 = tokenOf(full.text);
    const client = parse(full.text).live;
    expect([...client.keys()].sort()).toEqual(['/dav/alice/contacts/a.vcf', '/dav/alice/contacts/b.vcf', '/dav/alice/contacts/c.vcf']);

    // Another client deletes a; the first client's next sync gets its tombstone.
    expect((await dav(t.base, 'DELETE', '/dav/alice/contacts/a.vcf', { auth: A })).status).toBe(204);
    await settled();
    const d1 = await report(t0);
    expect(parse(d1.text).gone).toEqual(['/dav/alice/contacts/a.vcf']);
    const t1 = tokenOf(d1.text);

    // Within the keep period nothing goes.
    expect(t.ep.carddav!.pruneTombstones(Date.now() + KEEP_TOMBSTONES_MS - DAY)).toBe(0);
    expect((await report(t0)).status).toBe(207);
    // After it, a's tombstone goes.
    expect(t.ep.carddav!.pruneTombstones(Date.now() + KEEP_TOMBSTONES_MS + DAY)).toBe(1);
    expect(t.hub.dss.db.prepare("SELECT count(*) AS n FROM carddav_cards WHERE href = 'a.vcf'").get()).toEqual({ n: 0 });

    // A token from before the pruning is refused with the precondition element.
    const old = await report(t0);
    expect(old.status).toBe(403);
    expect(old.text).toContain('<d:valid-sync-token/>');
    // A token from after the pruned deletion still works: no changes, then b's deletion.
    const same = await report(t1);
    expect(same.status).toBe(207);
    expect(parse(same.text)).toEqual({ live: new Map(), gone: [] });
    expect((await dav(t.base, 'DELETE', '/dav/alice/contacts/b.vcf', { auth: A })).status).toBe(204);
    const d2 = await report(t1);
    expect(parse(d2.text).gone).toEqual(['/dav/alice/contacts/b.vcf']);

    // The refused client starts again from an empty token (RFC 6578 §3.2) and converges:
    // what it holds is what the book holds, and its new token answers with no changes.
    const again = await report('');
    const fresh = parse(again.text);
    expect(fresh.gone).toEqual([]);
    const listing = await dav(t.base, 'PROPFIND', '/dav/alice/contacts/', { auth: A, headers: { depth: '1' }, body: '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>' });
    const book = parse(listing.text).live;
    book.delete('/dav/alice/contacts/');
    expect(fresh.live).toEqual(book);
    expect([...fresh.live.keys()]).toEqual(['/dav/alice/contacts/c.vcf']);
    expect(fresh.live.get('/dav/alice/contacts/c.vcf')).toBe(client.get('/dav/alice/contacts/c.vcf'));
    const noop = await report(tokenOf(again.text));
    expect(noop.status).toBe(207);
    expect(parse(noop.text)).toEqual({ live: new Map(), gone: [] });
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('migration 0090 upgrades a DSS holding books, cards and tombstones', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-carddav-0090-'));
  dirs.push(dir);
  const file = path.join(dir, 'concord.sqlite');
  const all = loadMigrations();
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  migrate(
    old,
    all.filter((m) => m.version < 90),
  );
  old.prepare("INSERT INTO sync_points (spid, name, kind, link, change_tracking, priority, created_at) VALUES ('mac', 'Mac', 'carddav', 'lan', 'log', 1, 1000)").run();
  old.prepare("INSERT INTO carddav_books (spid, book_id, displayname, revision, change_seq) VALUES ('mac', 'bk1', 'Family', 7, 2)").run();
  old.prepare("INSERT INTO carddav_cards (spid, href, etag, body, revision, is_group) VALUES ('mac', 'live.vcf', '\"e1\"', 'BEGIN:VCARD\r\nEND:VCARD\r\n', 3, 0), ('mac', 'gone.vcf', '\"e2\"', NULL, 6, 0)").run();
  old.prepare("INSERT INTO carddav_changes (spid, href, state, seq, seen) VALUES ('mac', 'gone.vcf', 'DELETED', 2, 1)").run();
  const cardsBefore = old.prepare('SELECT spid, href, etag, body, revision, is_group FROM carddav_cards ORDER BY href').all();
  const changesBefore = old.prepare('SELECT * FROM carddav_changes').all();
  old.close();

  const t0 = Date.now();
  const db = openDb(file);
  expect(db.pragma('user_version', { simple: true })).toBe(all.at(-1)!.version);
  expect(db.prepare('SELECT spid, href, etag, body, revision, is_group FROM carddav_cards ORDER BY href').all()).toEqual(cardsBefore);
  expect(db.prepare('SELECT * FROM carddav_changes').all()).toEqual(changesBefore);
  const store = new CarddavStore(db);
  expect(store.book('mac')).toMatchObject({ book_id: 'bk1', displayname: 'Family', revision: 7, change_seq: 2, pruned_revision: 0 });
  // The tombstone already there counts from the upgrade; a live card has no deletion time.
  const rows = db.prepare('SELECT href, deleted_at FROM carddav_cards ORDER BY href').all() as { href: string; deleted_at: number | null }[];
  expect(rows[1]).toEqual({ href: 'live.vcf', deleted_at: null });
  expect(rows[0]!.deleted_at).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
  expect(rows[0]!.deleted_at).toBeLessThanOrEqual(Date.now());
  // It is kept through the keep period, pruned after it; the book remembers up to where.
  expect(store.pruneTombstones(t0 - DAY)).toBe(0);
  expect(store.pruneTombstones(Date.now() + 1000)).toBe(1);
  expect(store.book('mac')!.pruned_revision).toBe(6);
  expect(store.changedSince('mac', 0)).toEqual([{ href: 'live.vcf', etag: '"e1"', gone: 0 }]);
  // The pruning query uses its index, never a scan of the book.
  const plan = db.prepare('EXPLAIN QUERY PLAN DELETE FROM carddav_cards WHERE spid = ? AND body IS NULL AND deleted_at < ?').all('mac', 0) as { detail: string }[];
  expect(plan.map((p) => p.detail).join(' ')).toMatch(/carddav_tombstones_by_time/);
  db.close();
});
