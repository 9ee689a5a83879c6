// The safety net's requests through the contract: a contact's history, recently deleted and
// restore, undo of a run with its preview, and held mass deletions with both answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeletedRecord, HeldDevice, HistoryEntry, UndoPreview } from '../../../main/api/contract';
import { Api } from '../../../main/api/handlers';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub } from '../../../main/hub/hub';

const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ hub: Hub; api: Api; phone: SimulatedDevice }> {
  const dir = fs.mkdtempSync(path.join(TMP, 'concord-api-safety-'));
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  const api = new Api({ hub, dataDir: dir });
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => hub.close(), () => api.dispose());
  const phone = new SimulatedDevice({
    spid: 'phone',
    initial: Array.from({ length: 20 }, (_, i) => ({ fn: `Person ${i}`, tel: [{ type: 'cell', value: `020 7946 ${1000 + i}` }] })),
  });
  hub.pairDevice({ spid: 'phone', name: 'Phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
  hub.attach(phone);
  await hub.sync();
  return { hub, api, phone };
}

async function value<T>(p: Promise<{ ok: boolean; value?: unknown; error?: unknown }>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
}

describe('the safety net through the API', () => {
  it('history, recently deleted and restore, undo with a preview', async () => {
    const { hub, api, phone } = await setup();
    const guid = hub.contacts().find((r) => r.contact.fn === 'Person 3')!.guid;
    phone.userUpdate(hub.dss.mapOf('phone', guid)!.luid, { note: 'edited' });
    const run = await hub.sync();
    const story = await value<HistoryEntry[]>(api.call('contacts:history', { guid }));
    expect(story.map((e) => e.kind)).toEqual(['added', 'updated']);
    expect(story[1]!.after?.note).toBe('edited');

    const preview = await value<UndoPreview>(api.call('runs:undoPreview', { runId: run.id }));
    expect(preview.changes.map((c) => [c.edit, c.name, c.devices])).toEqual([['update', 'Person 3', ['phone']]]);
    await value(api.call('runs:undo', { runId: run.id }));
    await hub.sync();
    expect(hub.dss.truth(guid)!.contact.note).toBe('');

    phone.userDelete(hub.dss.mapOf('phone', guid)!.luid);
    await hub.sync();
    const deleted = await value<DeletedRecord[]>(api.call('contacts:deleted', {}));
    expect(deleted.map((d) => d.contact.fn)).toEqual(['Person 3']);
    const { queued } = await value<{ queued: string }>(api.call('contacts:restore', { guid }));
    expect(queued).not.toBe(guid);
    expect(await value(api.call('contacts:deleted', {}))).toEqual([]);
    const again = await api.call('contacts:restore', { guid });
    expect(again.ok).toBe(false);
    const bad = await api.call('runs:undo', { runId: 0 });
    expect(bad.ok).toBe(false);
  });

  it('held deletions: listed, kept, approved', async () => {
    const { hub, api, phone } = await setup();
    for (const r of phone.records().slice(0, 15)) phone.userDelete(r.luid);
    await hub.sync();
    const held = await value<HeldDevice[]>(api.call('holds:list', {}));
    expect(held.map((h) => [h.spid, h.count])).toEqual([['phone', 15]]);
    expect(await value(api.call('holds:keep', { spid: 'phone' }))).toEqual({ count: 15 });
    await hub.sync();
    expect(phone.records()).toHaveLength(20);
    for (const r of phone.records().slice(0, 12)) phone.userDelete(r.luid);
    await hub.sync();
    expect(await value(api.call('holds:approve', { spid: 'phone' }))).toEqual({ count: 12 });
    await hub.sync();
    expect(hub.contacts()).toHaveLength(8);
    expect(await value(api.call('holds:list', {}))).toEqual([]);
  });
});
