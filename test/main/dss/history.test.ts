// History in the DSS (sync-method.md, "The safety net" and "Decisions on the extensions"):
// one entry per record per committed run that changed it, with the version before and
// after and the writer of each changed element; recently deleted records with their last
// version; retention; and the migration that adds it to a DSS holding data.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../main/core/contact';
import { loadMigrations, openDb } from '../../../main/dss/db';
import { historyOf, RETENTION_PREF } from '../../../main/dss/history';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import type { Hub } from '../../../main/hub/hub';
import { hubFixture } from '../../lib/hubs';

const { tmpDir, openHub, track } = hubFixture('history');

const person = (fn: string, tel: string, email?: string): Partial<Contact> => ({
  fn,
  tel: [{ type: 'cell', value: tel }],
  ...(email ? { email: [{ type: '', value: email }] } : {}),
});
function pair(hub: Hub, dev: SimulatedDevice, priority?: number): void {
  hub.pairDevice({ spid: dev.spid, name: dev.spid, kind: 'simulated', link: 'simulated', changeTracking: dev.changeTracking, capacity: dev.capacity, ...(priority ? { priority } : {}) });
  hub.attach(dev);
}
const guidOf = (hub: Hub, fn: string) => hub.contacts().find((r) => r.contact.fn === fn)!.guid;

describe('history of the truth', () => {
  it('keeps one entry per record per committed run, with before, after and the writer of each changed element', async () => {
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone', initial: [person('Mitsuko Uchida', '020 7946 0000'), person('Alfred Brendel', '020 7946 0101')] });
    const laptop = new SimulatedDevice({ spid: 'laptop' });
    pair(hub, phone);
    pair(hub, laptop);
    const first = await hub.sync();
    const h = historyOf(hub.dss.db);
    const added = h.ofRun(first.id);
    expect(added.map((e) => e.kind)).toEqual(['added', 'added']);
    expect(added.every((e) => e.before === null && e.writers['*'] === 'phone')).toBe(true);
    expect(added.map((e) => e.after?.fn).sort()).toEqual(['Alfred Brendel', 'Mitsuko Uchida']);

    // The laptop changes a number, the phone adds an e-mail to the same record: one entry.
    const uchida = guidOf(hub, 'Mitsuko Uchida');
    laptop.userUpdate(hub.dss.mapOf('laptop', uchida)!.luid, { tel: [{ type: 'cell', value: '020 7946 0999' }] });
    phone.userUpdate(hub.dss.mapOf('phone', uchida)!.luid, { email: [{ type: '', value: 'mu@example.org' }] });
    const second = await hub.sync();
    const upd = h.ofRun(second.id);
    expect(upd).toHaveLength(1);
    expect(upd[0]!.kind).toBe('updated');
    expect(upd[0]!.before?.tel[0]?.value).toBe('+442079460000');
    expect(upd[0]!.after?.tel[0]?.value).toBe('+442079460999');
    expect(upd[0]!.after?.email[0]?.value).toBe('mu@example.org');
    expect(Object.values(upd[0]!.writers).sort()).toEqual(['laptop', 'phone']);

    // An extra run with no edits adds no entry.
    const extra = await hub.sync();
    expect(h.ofRun(extra.id)).toEqual([]);

    // The editor deletes Brendel: recently deleted keeps his last version.
    const brendel = guidOf(hub, 'Alfred Brendel');
    hub.editor.delete(brendel);
    const third = await hub.sync();
    expect(h.ofRun(third.id).map((e) => [e.kind, e.writers['*']])).toEqual([['deleted', 'hub']]);
    const deleted = h.recentlyDeleted(Date.now());
    expect(deleted.map((d) => [d.guid, d.contact.fn, d.by])).toEqual([[brendel, 'Alfred Brendel', 'hub']]);

    // The whole story of Uchida: added, then updated; the first entry's after is the
    // second's before.
    const story = h.of(uchida);
    expect(story.map((e) => e.kind)).toEqual(['added', 'updated']);
    expect(story[0]!.after).toEqual(story[1]!.before);
    expect(story[1]!.after).toEqual(hub.dss.truth(uchida)!.contact);
  });

  it('a run that crashed after its commit has its entries; one that crashed before has none', async () => {
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone', initial: [person('Clara Haskil', '020 7946 0202')] });
    pair(hub, phone);
    hub.crashNextRun = { at: 'afterRetrieve' };
    await expect(hub.sync()).rejects.toThrow(/crashed/);
    const h = historyOf(hub.dss.db);
    expect(h.ofRun(h.lastRunId())).toEqual([]);
    hub.crashNextRun = { at: 'afterCommit' };
    await expect(hub.sync()).rejects.toThrow(/crashed/);
    expect(h.ofRun(h.lastRunId()).map((e) => e.kind)).toEqual(['added']);
  });

  it('prunes only what is older than the retention the user set, never below 30 days', async () => {
    let t = Date.UTC(2026, 0, 1);
    const hub = openHub(tmpDir(), () => t);
    const phone = new SimulatedDevice({ spid: 'phone', initial: [person('Dinu Lipatti', '020 7946 0303')] });
    pair(hub, phone);
    await hub.sync();
    const h = historyOf(hub.dss.db);
    t += 20 * 86_400_000;
    expect(h.prune(t)).toBe(0); // forever by default
    expect(() => hub.setHistoryRetention(7)).toThrow(/at least 30 days/);
    hub.dss.setPref(RETENTION_PREF, '7'); // below the minimum, written elsewhere: 30 days
    expect(h.retentionDays()).toBe(30);
    hub.setHistoryRetention(30);
    expect(hub.historyRetention()).toBe(30);
    expect(h.prune(t)).toBe(0);
    t += 11 * 86_400_000;
    expect(h.prune(t)).toBe(1);
    expect(h.of(guidOf(hub, 'Dinu Lipatti'))).toEqual([]);
  });
});

describe('migration 0060 (history)', () => {
  it('upgrades a DSS holding data: the truth untouched, its deleted records in recently deleted', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'concord.sqlite');
    const all = loadMigrations();
    const old = openDb(file, all.filter((m) => m.version < 60));
    track(old);
    const contact = (fn: string) => JSON.stringify({ fn, n: [], tel: [], email: [], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [] });
    old.prepare("INSERT INTO runs (id, started_at, finished_at, devices, outcome) VALUES (1, 1000, 2000, '[]', 'ok'), (2, 3000, 4000, '[]', 'ok')").run();
    old.prepare("INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES ('g1', 1, ?, '{}', 'kept', 2000)").run(contact('Kept'));
    old.prepare("INSERT INTO tombstones (guid, spid, run_id, contact) VALUES ('g2', 'phone', 2, ?)").run(contact('Gone'));
    const truthBefore = old.prepare('SELECT * FROM truth').all();
    old.close();

    const db = openDb(file);
    track(db);
    expect(db.pragma('user_version', { simple: true })).toBe(all.at(-1)!.version);
    expect(db.prepare('SELECT * FROM truth').all()).toEqual(truthBefore);
    const h = historyOf(db);
    const deleted = h.recentlyDeleted(5000);
    expect(deleted).toEqual([{ guid: 'g2', runId: 2, at: 4000, by: 'phone', contact: JSON.parse(contact('Gone')) }]);
    expect(h.of('g1')).toEqual([]);
    expect(db.prepare('SELECT undone_at FROM runs WHERE id = 1').pluck().get()).toBeNull();
  });
});
