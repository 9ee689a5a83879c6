// Backups of the DSS: SQLite's online backup while the hub is open, a copy before every
// migration, the daily one with the last N kept, and "restore from a backup" done as editor
// edits that then sync everywhere (the DSS is never swapped).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contactSignature, type Contact } from '../../../main/core/contact';
import { backupDir, BACKUP_KEEP_PREF, dailyBackup, listBackups } from '../../../main/dss/backup';
import { loadMigrations, openDb } from '../../../main/dss/db';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import type { Hub } from '../../../main/hub/hub';
import { hubFixture } from '../../lib/hubs';

const { tmpDir, openHub, track } = hubFixture('backup');

const person = (fn: string, tel: string): Partial<Contact> => ({ fn, tel: [{ type: 'cell', value: tel }] });
const signatures = (hub: Hub) => hub.contacts().map((r) => contactSignature(r.contact)).sort();

async function hubWithData(): Promise<{ hub: Hub; dir: string; phone: SimulatedDevice; laptop: SimulatedDevice }> {
  const dir = tmpDir();
  const hub = openHub(dir);
  const phone = new SimulatedDevice({ spid: 'phone', initial: [person('Mitsuko Uchida', '020 7946 0000'), person('Alfred Brendel', '020 7946 0101')] });
  const laptop = new SimulatedDevice({ spid: 'laptop', initial: [person('Clara Haskil', '020 7946 0202')] });
  for (const d of [phone, laptop]) {
    hub.pairDevice({ spid: d.spid, name: d.spid, kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(d);
  }
  await hub.sync();
  return { hub, dir, phone, laptop };
}

describe('backups', () => {
  it('a backup taken while the hub is open, put into a fresh data folder, opens and equals the original', async () => {
    const { hub } = await hubWithData();
    const file = await hub.backup(path.join(tmpDir(), 'mine.sqlite'));
    const fresh = tmpDir();
    fs.copyFileSync(file, path.join(fresh, 'concord.sqlite'));
    const copy = openHub(fresh);
    expect(copy.dss.stateDigest()).toBe(hub.dss.stateDigest());
    expect(copy.contacts()).toEqual(hub.contacts());
    expect(copy.devices().map((d) => d.spid).sort()).toEqual(hub.devices().map((d) => d.spid).sort());
  });

  it('copies a DSS holding data before migrating it', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'concord.sqlite');
    const all = loadMigrations();
    const old = openDb(file, all.slice(0, -1));
    track(old);
    old.prepare("INSERT INTO prefs (key, value) VALUES ('marker', 'before')").run();
    old.close();
    const db = openDb(file);
    track(db);
    const backups = listBackups(backupDir(file));
    expect(backups).toHaveLength(1);
    expect(path.basename(backups[0]!.file)).toMatch(/^concord-pre-migration-/);
    const copy = openDb(backups[0]!.file, all.slice(0, -1));
    track(copy);
    expect(copy.pragma('user_version', { simple: true })).toBe(all.at(-2)!.version);
    expect(copy.prepare("SELECT value FROM prefs WHERE key = 'marker'").pluck().get()).toBe('before');
    // Opening the migrated DSS again copies nothing more.
    db.close();
    track(openDb(file));
    expect(listBackups(backupDir(file))).toHaveLength(1);
  });

  it('backs up once a day and keeps the last N', async () => {
    const { hub, dir } = await hubWithData();
    const dbFile = path.join(dir, 'concord.sqlite');
    hub.dss.setPref(BACKUP_KEEP_PREF, '2');
    let t = Date.now();
    expect(await dailyBackup(hub.dss.db, dbFile, t)).toMatch(/concord-daily-/);
    expect(await dailyBackup(hub.dss.db, dbFile, t + 3_600_000)).toBeNull();
    for (let i = 0; i < 3; i++) {
      t += 25 * 3_600_000;
      expect(await dailyBackup(hub.dss.db, dbFile, t)).toMatch(/concord-daily-/);
    }
    expect(listBackups(backupDir(dbFile))).toHaveLength(2);
  });

  it('restore makes the truth equal to the backup as editor edits that sync everywhere, with a preview', async () => {
    const { hub, phone, laptop } = await hubWithData();
    const file = await hub.backup(path.join(tmpDir(), 'before.sqlite'));
    const wanted = signatures(hub);
    // Afterwards: one added, one changed, one deleted.
    laptop.userAdd(person('Dinu Lipatti', '020 7946 0303'));
    const uchida = hub.contacts().find((r) => r.contact.fn === 'Mitsuko Uchida')!.guid;
    phone.userUpdate(hub.dss.mapOf('phone', uchida)!.luid, { note: 'changed' });
    const brendel = hub.contacts().find((r) => r.contact.fn === 'Alfred Brendel')!.guid;
    phone.userDelete(hub.dss.mapOf('phone', brendel)!.luid);
    await hub.sync();
    expect(signatures(hub)).not.toEqual(wanted);

    const digest = hub.dss.stateDigest();
    const preview = hub.restoreBackupPreview(file);
    expect(hub.dss.stateDigest()).toBe(digest);
    expect(preview.add.map((a) => a.name)).toEqual(['Alfred Brendel']);
    expect(preview.update.map((a) => a.name)).toEqual(['Mitsuko Uchida']);
    expect(preview.delete.map((a) => a.name)).toEqual(['Dinu Lipatti']);
    expect(preview.unchanged).toBe(1);

    hub.restoreBackup(file);
    await hub.sync();
    expect(signatures(hub)).toEqual(wanted);
    for (const d of [phone, laptop]) expect(d.records().map((r) => r.data.fn).sort()).toEqual(['Alfred Brendel', 'Clara Haskil', 'Mitsuko Uchida']);
    expect(() => hub.restoreBackupPreview(path.join(tmpDir(), 'missing.sqlite'))).toThrow(/does not exist/);
  });
});
