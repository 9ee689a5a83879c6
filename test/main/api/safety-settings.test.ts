// The safety net's settings through the contract, checked by the hub whatever a UI sends:
// the guard and its thresholds (kept while it is off), history retention (never under 30
// days), the number of backups kept (the oldest pruned at once) and "Back up now"; and the
// runs as Activity lists them, each undo linked to the run that carried it out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunView, Settings } from '../../../main/api/contract';
import { Api } from '../../../main/api/handlers';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ dir: string; hub: Hub; api: Api; phone: SimulatedDevice }> {
  const dir = fs.mkdtempSync(path.join(TMP, 'concord-api-safety-settings-'));
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  const api = new Api({ hub, dataDir: dir });
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => hub.close(), () => api.dispose());
  const phone = new SimulatedDevice({ spid: 'phone', initial: Array.from({ length: 20 }, (_, i) => ({ fn: `Person ${i}`, tel: [{ type: 'cell', value: `020 7946 ${1000 + i}` }] })) });
  hub.pairDevice({ spid: 'phone', name: 'Phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
  hub.attach(phone);
  await hub.sync();
  return { dir, hub, api, phone };
}

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe('the safety settings through the API', () => {
  it('has the defaults, refuses values out of range in words, and keeps the thresholds while the guard is off', async () => {
    const { dir, hub, api } = await setup();
    const s0 = await value<Settings>(api.call('settings:get', {}));
    expect(s0.safety).toEqual({ guard: { on: true, deletes: 10, percent: 10 }, retentionDays: null, minRetentionDays: 30, backups: { keep: 7, dir: path.join(dir, 'backups'), latest: null } });

    for (const args of [{ on: true, deletes: -1, percent: 10 }, { on: true, deletes: 10, percent: 101 }]) {
      expect(await api.call('settings:setGuard', args)).toMatchObject({ ok: false, error: { code: 'invalid' } });
    }
    expect(await api.call('settings:setGuard', { on: true, deletes: 10, percent: 1.5 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(hub.guard()).toEqual({ deletes: 10, share: 0.1 });
    expect((await value<Settings>(api.call('settings:setGuard', { on: true, deletes: 25, percent: 0 }))).safety.guard).toEqual({ on: true, deletes: 25, percent: 0 });
    expect(hub.guard()).toEqual({ deletes: 25, share: null });
    expect((await value<Settings>(api.call('settings:setGuard', { on: false, deletes: 30, percent: 5 }))).safety.guard).toEqual({ on: false, deletes: 30, percent: 5 });
    expect(hub.guard()).toBeNull();
    expect((await value<Settings>(api.call('settings:get', {}))).safety.guard).toEqual({ on: false, deletes: 30, percent: 5 });
    await value(api.call('settings:setGuard', { on: true, deletes: 30, percent: 5 }));
    expect(hub.guard()).toEqual({ deletes: 30, share: 0.05 });

    expect(await api.call('settings:setRetention', { days: 29 })).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/at least 30 days/) } });
    expect(await api.call('settings:setRetention', {})).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect((await value<Settings>(api.call('settings:setRetention', { days: 30 }))).safety.retentionDays).toBe(30);
    expect((await value<Settings>(api.call('settings:setRetention', { days: null }))).safety.retentionDays).toBeNull();
    expect(hub.historyRetention()).toBeNull();

    expect(await api.call('settings:setBackupKeep', { keep: 0 })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await api.call('settings:setBackupKeep', { keep: 366 })).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  it('prunes the oldest automatic backups when fewer are kept, and backs up now', async () => {
    const { dir, api } = await setup();
    const backups = path.join(dir, 'backups');
    fs.mkdirSync(backups, { recursive: true });
    for (const day of ['01', '02', '03', '04']) fs.writeFileSync(path.join(backups, `concord-daily-202611${day}T030000.sqlite`), '');
    await value(api.call('settings:setBackupKeep', { keep: 2 }));
    expect(fs.readdirSync(backups).sort()).toEqual(['concord-daily-20261103T030000.sqlite', 'concord-daily-20261104T030000.sqlite']);
    const made = await value<{ file: string; at: number }>(api.call('backups:now', {}));
    expect(path.dirname(made.file)).toBe(backups);
    expect(fs.statSync(made.file).size).toBeGreaterThan(0);
    const s = await value<Settings>(api.call('settings:get', {}));
    expect(s.safety.backups).toMatchObject({ keep: 2, latest: { file: made.file } });
  });

  it('links each undo to the run that carried it out, a device run or the editor\'s own', async () => {
    const { hub, api, phone } = await setup();
    // Run a: an update; its undo carried out by a run with the phone.
    const g3 = hub.contacts().find((r) => r.contact.fn === 'Person 3')!.guid;
    phone.userUpdate(hub.dss.mapOf('phone', g3)!.luid, { note: 'edited' });
    const a = await hub.sync();
    await value(api.call('runs:undo', { runId: a.id }));
    const b = await hub.sync();
    // Run c: a deletion; its undo adds the contact back under a new GUID, in an editor run.
    phone.userDelete(hub.dss.mapOf('phone', hub.contacts().find((r) => r.contact.fn === 'Person 4')!.guid)!.luid);
    const c = await hub.sync();
    await value(api.call('runs:undo', { runId: c.id }));
    const d = await hub.sync([]);
    const e = await hub.sync();
    const runs = await value<RunView[]>(api.call('sync:history', {}));
    const of = (id: number) => runs.find((r) => r.id === id)!;
    expect([a, b, c, d, e].map((r) => [of(r.id).undoneAt !== null, of(r.id).undoOf])).toEqual([
      [true, []],
      [false, [a.id]],
      [true, []],
      [false, [c.id]],
      [false, []],
    ]);
    // Undoing the undo of c deletes the contact again.
    expect(hub.contacts().some((r) => r.contact.fn === 'Person 4')).toBe(true);
    await value(api.call('runs:undo', { runId: d.id }));
    await hub.sync();
    expect(hub.contacts().some((r) => r.contact.fn === 'Person 4')).toBe(false);
  });

  it('links no run to an undo that had nothing left to do, even when a later edit touches its records', async () => {
    const { hub, api, phone } = await setup();
    const g5 = hub.contacts().find((r) => r.contact.fn === 'Person 5')!.guid;
    phone.userUpdate(hub.dss.mapOf('phone', g5)!.luid, { note: 'first' });
    const a = await hub.sync();
    // Changed again since: the undo of a leaves it alone and queues nothing.
    phone.userUpdate(hub.dss.mapOf('phone', g5)!.luid, { note: 'second' });
    await hub.sync();
    const preview = await value<{ changes: unknown[]; leftAlone: unknown[] }>(api.call('runs:undo', { runId: a.id }));
    expect(preview.changes).toEqual([]);
    expect(preview.leftAlone).toHaveLength(1);
    // The user then edits that contact in Concord: an ordinary edit, not the undo.
    await value(api.call('contacts:update', { guid: g5, contact: { ...hub.contact(g5)!.contact, note: 'by hand' } }));
    const c = await hub.sync([]);
    const runs = await value<RunView[]>(api.call('sync:history', {}));
    expect(runs.find((r) => r.id === a.id)!.undoneAt).not.toBeNull();
    expect(runs.every((r) => r.undoOf.length === 0)).toBe(true);
    expect(runs.some((r) => r.id === c.id)).toBe(true);
  });
});
