// Migration 0040 (read-only sync points) upgrades a DSS holding data: every paired device
// keeps its row and becomes "not read-only"; the flag is then stored and read back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, openDb, type Db } from '../../../main/dss/db';
import { Dss } from '../../../main/dss/store';
import { Hub, HubError } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(TMP, 'concord-read-only-'));
  dirs.push(d);
  return d;
};

describe('migration 0040: read-only sync points', () => {
  it('upgrades a DSS holding devices, contacts and maps; nothing is lost and no device becomes read-only', () => {
    const file = path.join(tempDir(), 'concord.sqlite');
    const all = loadMigrations();
    const before = all.filter((m) => m.version < 40);
    expect(all.some((m) => m.version === 40 && m.name === '0040-read-only-sync-points.sql')).toBe(true);
    const old = openDb(file, before);
    dbs.push(old);
    old.prepare(`INSERT INTO sync_points (spid, name, kind, link, change_tracking, priority, created_at, lost_state) VALUES ('phone', 'Phone', 'at-phonebook', 'usb', 'snapshot', 1, 5, 0)`).run();
    old.prepare(`INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES ('g1', 1, '{}', '{}', 'mitsuko uchida', 5)`).run();
    old.prepare(`INSERT INTO maps (spid, guid, luid, base, base_run) VALUES ('phone', 'g1', '7', NULL, 1)`).run();
    old.close();

    const at40 = openDb(file, all.filter((m) => m.version <= 40));
    expect(at40.pragma('user_version', { simple: true })).toBe(40);
    expect(at40.prepare(`SELECT read_only FROM sync_points WHERE spid = 'phone'`).pluck().get()).toBe(0);
    at40.close();
    // The store reads today's schema: the later migrations run over the upgraded file too.
    const db = openDb(file);
    dbs.push(db);
    const dss = new Dss(db);
    expect(dss.device('phone')).toMatchObject({ spid: 'phone', name: 'Phone', changeTracking: 'snapshot', priority: 1, readOnly: false });
    expect(dss.truth('g1')?.guid).toBe('g1');
    expect(dss.mapOf('phone', 'g1')?.luid).toBe('7');

    dss.putDevice({ ...dss.device('phone')!, readOnly: true });
    expect(dss.device('phone')?.readOnly).toBe(true);
    expect(() => db.prepare(`UPDATE sync_points SET read_only = 2 WHERE spid = 'phone'`).run()).toThrow(/CHECK/);
  });

  it('the hub pairs a read-only device only as a snapshot device, and keeps the flag across a restart', async () => {
    const dir = tempDir();
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    expect(() => hub.pairDevice({ spid: 'pbap', name: 'Car phone', kind: 'simulated', link: 'bluetooth', changeTracking: 'log', readOnly: true })).toThrow(HubError);
    expect(hub.device('pbap')).toBeUndefined();
    hub.pairDevice({ spid: 'pbap', name: 'Car phone', kind: 'simulated', link: 'bluetooth', changeTracking: 'snapshot', readOnly: true });
    // Pairing it again without saying keeps it read-only.
    hub.pairDevice({ spid: 'pbap', name: 'Phone (PBAP)', kind: 'simulated', link: 'bluetooth', changeTracking: 'snapshot' });
    await hub.close();
    const again = Hub.open({ dataDir: dir, region: 'GB' });
    expect(again.device('pbap')).toMatchObject({ name: 'Phone (PBAP)', readOnly: true });
    await again.close();
  });
});

describe('a sync point that says it cannot be written to', () => {
  it('marks its paired record read-only when attached (only a snapshot device)', async () => {
    const dir = tempDir();
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    hub.pairDevice({ spid: 'pbap', name: 'Phone', kind: 'simulated', link: 'bluetooth', changeTracking: 'snapshot' });
    expect(hub.device('pbap')?.readOnly).toBe(false);
    const point = { spid: 'pbap', changeTracking: 'snapshot' as const, capacity: {}, readOnly: true, retrieve: () => Promise.reject(new Error('unused')), push: () => Promise.resolve(), finish: () => Promise.resolve() };
    hub.attach(point);
    expect(hub.device('pbap')?.readOnly).toBe(true);
    hub.pairDevice({ spid: 'log', name: 'Laptop', kind: 'simulated', link: 'lan', changeTracking: 'log' });
    expect(() => hub.attach({ ...point, spid: 'log' })).toThrow(HubError);
    expect(hub.device('log')?.readOnly).toBe(false);
    await hub.close();
  });
});
