// Which run carried out an undo (sync-method.md, "The safety net"): stored when the undo is
// queued and when a commit consumes its edits, never guessed; and migration 0100 on a DSS
// holding data.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, openDb } from '../../../main/dss/db';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { hubFixture } from '../../lib/hubs';

const { tmpDir, openHub, track } = hubFixture('undos');

describe('the run that carried out an undo', () => {
  it('is the run that consumed the undo\'s edits, not the one pushing when it was queued', async () => {
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone', initial: [{ fn: 'Ada Lovelace' }, { fn: 'Alan Turing' }] });
    hub.pairDevice({ spid: 'phone', name: 'Phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(phone);
    const first = await hub.sync();
    // Undo the first sync while a later run pushes (its commit, and its reading of the editor
    // queue, are done): that run must not claim the undo, the run after it does.
    let undone = false;
    const off = hub.on('progress', (p) => {
      if (p.type !== 'committed' || undone) return;
      undone = true;
      hub.undoRun(first.id);
    });
    const busy = await hub.sync();
    off();
    expect(undone).toBe(true);
    const next = await hub.sync();
    expect(hub.runUndid(busy.id)).toEqual([]);
    expect(hub.runUndid(next.id)).toEqual([first.id]);
    expect(hub.contacts()).toEqual([]);
    // Undoing that run undoes the undo: both contacts are back, and that run is linked too.
    hub.undoRun(next.id);
    const again = await hub.sync();
    expect(hub.runUndid(again.id)).toEqual([next.id]);
    expect(hub.contacts().map((r) => r.contact.fn).sort()).toEqual(['Ada Lovelace', 'Alan Turing']);
  });
});

describe('migration 0100 (undos)', () => {
  it('upgrades a DSS holding data: runs and history untouched, no links guessed', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'concord.sqlite');
    const all = loadMigrations();
    const old = track(openDb(file, all.filter((m) => m.version < 100)));
    old.prepare("INSERT INTO runs (id, started_at, finished_at, devices, undone_at) VALUES (1, 1, 2, '[]', 5)").run();
    old.prepare("INSERT INTO history (run_id, guid, kind, before, writers, at) VALUES (1, 'g1', 'added', NULL, '{}', 1)").run();
    const before = ['runs', 'history'].map((t) => old.prepare(`SELECT * FROM ${t}`).all());
    old.close();
    const db = track(openDb(file));
    expect(db.pragma('user_version', { simple: true })).toBe(all.at(-1)!.version);
    expect(['runs', 'history'].map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
    expect(db.prepare('SELECT count(*) FROM undos').pluck().get()).toBe(0);
  });
});
