// The safety net's commands, run as the user runs them (bin/concord.mjs) against a real
// data folder: runs list, runs undo, contacts deleted, contacts restore.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const cli = path.resolve('bin/concord.mjs');
let dir: string;
function concord(...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...argv, '--data', dir], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let runs: number[] = [];
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(TMP, 'concord-cli-safety-'));
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  const phone = new SimulatedDevice({
    spid: 'phone',
    initial: [
      { fn: 'Mitsuko Uchida', tel: [{ type: 'cell', value: '020 7946 0000' }] },
      { fn: 'Alfred Brendel', tel: [{ type: 'cell', value: '020 7946 0101' }] },
    ],
  });
  hub.pairDevice({ spid: 'phone', name: 'phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
  hub.attach(phone);
  runs.push((await hub.sync()).id);
  phone.userDelete(hub.dss.mapOf('phone', hub.contacts().find((c) => c.contact.fn === 'Alfred Brendel')!.guid)!.luid);
  runs.push((await hub.sync()).id);
  await hub.close();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  runs = [];
});

describe('concord runs / contacts (the safety net)', () => {
  it('lists runs with what each changed, lists and restores a deleted contact once, previews and undoes a run', () => {
    const list = concord('runs', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${runs[1]}\\t.*0 added, 0 updated, 1 deleted`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${runs[0]}\\t.*2 added, 0 updated, 0 deleted`, 'm'));

    const deleted = concord('contacts', 'deleted');
    expect(deleted.stdout).toMatch(/\tby phone\tAlfred Brendel$/m);
    const guid = deleted.stdout.split('\t')[0]!;
    const restore = concord('contacts', 'restore', guid.slice(0, 30));
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^Restored Alfred Brendel as /);
    expect(concord('contacts', 'deleted').stdout).toBe('');
    const again = concord('contacts', 'restore', guid);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no recently deleted contact/);

    // The deletion was restored since: undoing its run leaves it alone.
    const undoDelete = concord('runs', 'undo', String(runs[1]), '--preview');
    expect(undoDelete.stdout).toMatch(/^left alone\tAlfred Brendel\trestored or changed since$/m);

    const preview = concord('runs', 'undo', String(runs[0]), '--preview');
    expect(preview.stdout).toMatch(/^delete\tMitsuko Uchida\ton phone$/m);
    // Brendel's first record was deleted since: left alone.
    expect(preview.stdout).toMatch(/^left alone\tAlfred Brendel/m);
    const undo = concord('runs', 'undo', String(runs[0]));
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/Undone: 1 change/);
    const contacts = JSON.parse(concord('contacts', 'export').stdout) as { fn: string }[];
    expect(contacts.map((c) => c.fn)).toEqual(['Alfred Brendel']);
    const listed = concord('runs', 'list').stdout;
    expect(listed).toMatch(new RegExp(`^${runs[0]}\\t.*\\tundone `, 'm'));
    // The undo was carried out by a run of its own, named in the list (undo it to undo the undo).
    expect(listed).toMatch(new RegExp(`^\\d+\\t.*\\tcarried out the undo of ${runs[0]}$`, 'm'));
    // A bad command line is a usage error, not a guess.
    for (const bad of [['runs', 'undo', 'x'], ['runs', 'undo'], ['runs', 'list', '--limit', '0'], ['runs', 'list', '--bogus'], ['holds', 'keep', 'a', 'b']]) {
      const r = concord(...bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: concord/);
    }
  }, 120_000);

  it('backs up, previews a restore and restores; lists and answers held deletions', async () => {
    const backupFile = path.join(dir, 'mine.sqlite');
    const b = concord('backup', backupFile);
    expect(b.code, b.stderr).toBe(0);
    expect(fs.existsSync(backupFile)).toBe(true);

    // A phone that deletes everything it holds, with the default guard.
    const hub = Hub.open({ dataDir: dir, region: 'GB' });
    for (let i = 0; i < 12; i++) hub.editor.add({ fn: `Person ${i}`, tel: [{ type: 'cell', value: `020 7946 ${1000 + i}` }] });
    const tablet = new SimulatedDevice({ spid: 'tablet' });
    hub.pairDevice({ spid: 'tablet', name: 'Tablet', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(tablet);
    await hub.sync();
    for (const r of tablet.records()) tablet.userDelete(r.luid);
    await hub.sync();
    await hub.close();
    const list = concord('holds', 'list');
    expect(list.stdout).toMatch(/^tablet\tTablet deleted 13 contact\(s\) \(held since .*\)\. Nothing was deleted elsewhere\.$/m);
    expect(concord('holds', 'keep', 'Tablet').stdout).toMatch(/^Kept 13 contact\(s\); Tablet gets them back/);
    expect(concord('holds', 'list').stdout).toBe('No deletions are held.\n');

    const preview = concord('restore', backupFile);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/^0 to add, 0 to change, 12 to delete, 1 unchanged\.$/m);
    expect(preview.stdout).toMatch(/Nothing was changed/);
    const done = concord('restore', backupFile, '--yes');
    expect(done.stdout).toMatch(/Restored/);
    const contacts = JSON.parse(concord('contacts', 'export').stdout) as { fn: string }[];
    expect(contacts.map((c) => c.fn)).toEqual(['Alfred Brendel']);
  }, 120_000);
});
