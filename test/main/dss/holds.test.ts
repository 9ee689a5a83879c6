// Held mass deletions in the DSS (sync-method.md, "Held mass deletions"): the guard's rule
// as a setting, holds kept across a reopen, the two answers, and migration 0070 on a DSS
// holding data.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../main/core/contact';
import { DEFAULT_GUARD } from '../../../main/core/holds';
import { loadMigrations, openDb } from '../../../main/dss/db';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { hubFixture } from '../../lib/hubs';

const { tmpDir, openHub, track } = hubFixture('holds');

const people = (n: number): Partial<Contact>[] =>
  Array.from({ length: n }, (_, i) => ({ fn: `Person ${String(i).padStart(3, '0')}`, tel: [{ type: 'cell', value: `020 7946 ${String(1000 + i)}` }] }));

describe('held mass deletions', () => {
  it('the guard is on by default (more than 10 and more than 10%), a setting, and can be turned off', () => {
    const hub = openHub(tmpDir());
    expect(hub.guard()).toEqual(DEFAULT_GUARD);
    hub.setGuard({ deletes: 50, share: null });
    expect(hub.guard()).toEqual({ deletes: 50, share: null });
    hub.setGuard(null);
    expect(hub.guard()).toBeNull();
    expect(() => hub.setGuard({ deletes: -1, share: null })).toThrow(/whole number/);
  });

  it('holds a phone emptied by accident: the laptop keeps all, the hold survives a reopen, keep gives the phone its contacts back', async () => {
    const dir = tmpDir();
    let hub = openHub(dir);
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: people(60) });
    const phone = new SimulatedDevice({ spid: 'phone' });
    for (const d of [laptop, phone]) {
      hub.pairDevice({ spid: d.spid, name: d.spid, kind: 'simulated', link: 'simulated', changeTracking: 'log' });
      hub.attach(d);
    }
    await hub.sync();
    expect(phone.records()).toHaveLength(60);
    for (const r of phone.records().slice(0, 50)) phone.userDelete(r.luid);
    await hub.sync();
    expect(laptop.records()).toHaveLength(60);
    expect(hub.contacts()).toHaveLength(60);
    const held = hub.holds();
    expect(held.map((h) => [h.spid, h.count, h.approved])).toEqual([['phone', 50, false]]);
    // An extra run changes nothing and sends nothing to the phone.
    const digest = hub.dss.stateDigest();
    const received = phone.received.length;
    await hub.sync();
    expect(hub.dss.stateDigest()).toBe(digest);
    expect(phone.received.length).toBe(received);

    await hub.close();
    hub = openHub(dir);
    for (const d of [laptop, phone]) hub.attach(d);
    expect(hub.holds()[0]?.count).toBe(50);
    expect(hub.keepHolds('phone')).toBe(50);
    expect(hub.holds()).toEqual([]);
    await hub.sync();
    expect(phone.records()).toHaveLength(60);
    expect(() => hub.keepHolds('phone')).toThrow(/No deletions/);
  });
});

describe('migration 0070 (holds, history by record)', () => {
  it('upgrades a DSS holding data: its truth, maps and history untouched, no holds', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'concord.sqlite');
    const all = loadMigrations();
    const old = openDb(file, all.filter((m) => m.version < 70));
    track(old);
    old.prepare("INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES ('g1', 1, '{}', '{}', 'a', 1)").run();
    old.prepare("INSERT INTO maps (spid, guid, luid, base) VALUES ('phone', 'g1', 'L1', '{}')").run();
    old.prepare("INSERT INTO history (run_id, guid, kind, before, writers, at) VALUES (1, 'g1', 'added', NULL, '{}', 1)").run();
    const before = ['truth', 'maps', 'history'].map((t) => old.prepare(`SELECT * FROM ${t}`).all());
    old.close();
    const db = openDb(file);
    track(db);
    expect(db.pragma('user_version', { simple: true })).toBe(all.at(-1)!.version);
    expect(['truth', 'maps', 'history'].map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
    expect(db.prepare('SELECT count(*) FROM holds').pluck().get()).toBe(0);
    // The history already kept is found by record.
    expect(db.prepare('SELECT guid, id FROM history_by_record').all()).toEqual([{ guid: 'g1', id: 1 }]);
  });
});
