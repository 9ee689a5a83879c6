import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contactOf, type Contact } from '../../../main/core/contact';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import { Hub, timeOrderedGuid } from '../../../main/hub/hub';
import { LinkLostError, type PushOp, type PushResult, type Retrieved, type SyncPoint } from '../../../main/hub/sync-point';
import type { SyncProgress } from '../../../main/hub/types';

const dirs: string[] = [];
const hubs: Hub[] = [];
function openHub(): Hub {
  const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'concord-hubtest-'));
  dirs.push(dir);
  const hub = Hub.open({ dataDir: dir, region: 'GB' });
  hubs.push(hub);
  return hub;
}
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const person = (fn: string, tel: string): Partial<Contact> => ({ fn, tel: [{ type: 'cell', value: tel }] });

function pair(hub: Hub, dev: SimulatedDevice): void {
  hub.pairDevice({ spid: dev.spid, name: dev.spid, kind: 'simulated', link: 'simulated', changeTracking: dev.changeTracking, capacity: dev.capacity });
  hub.attach(dev);
}

describe('the hub', () => {
  it('sends a device paired later everything the truth holds, without duplicating what it has', async () => {
    const hub = openHub();
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: [person('Mitsuko Uchida', '020 7946 0000'), person('Alfred Brendel', '020 7946 0101')] });
    pair(hub, laptop);
    await hub.sync();
    const phone = new SimulatedDevice({ spid: 'phone', changeTracking: 'snapshot', initial: [person('Alfred Brendel', '+44 20 7946 0101')] });
    pair(hub, phone);
    const summary = await hub.sync(['phone']);
    expect(summary.outcome).toBe('ok');
    expect(phone.records().map((r) => r.data.fn).sort()).toEqual(['Alfred Brendel', 'Mitsuko Uchida']);
    expect(hub.contacts()).toHaveLength(2);
    expect(hub.device('phone')?.lostState).toBe(false);
  });

  it('runs one sync at a time: calls during a run join the next one', async () => {
    const hub = openHub();
    const slow = new SimulatedDevice({ spid: 'slow', opDelayMs: 5, initial: [] });
    pair(hub, slow);
    hub.editor.add(person('A One', '020 7946 0001'));
    hub.editor.add(person('B Two', '020 7946 0002'));
    const first = hub.sync();
    expect(hub.running()).toBe(true);
    const second = hub.sync();
    const third = hub.sync();
    const [a, b, c] = await Promise.all([first, second, third]);
    expect(b.id).toBe(c.id);
    expect(b.id).toBeGreaterThan(a.id);
    expect(slow.records()).toHaveLength(2);
  });

  it('reports progress: started, retrieving, committed, pushing n of m, finished', async () => {
    const hub = openHub();
    const dev = new SimulatedDevice({ spid: 'd' });
    pair(hub, dev);
    hub.editor.add(person('A One', '020 7946 0001'));
    const events: SyncProgress[] = [];
    hub.on('progress', (p) => events.push(p));
    await hub.sync();
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('run-started');
    expect(types).toContain('device-retrieving');
    expect(types).toContain('committed');
    const last = events.filter((e) => e.type === 'device-pushing').at(-1);
    expect(last).toMatchObject({ done: 1, total: 1 });
    expect(types.at(-1)).toBe('run-finished');
  });

  it('skips a record it cannot understand, logs it against the device, and goes on', async () => {
    const hub = openHub();
    const bad: SyncPoint = {
      spid: 'bad',
      changeTracking: 'log',
      capacity: {},
      retrieve: async (): Promise<Retrieved> => ({
        changeTracking: 'log',
        lostSyncState: false,
        records: [
          { luid: '1', state: 'ADDED', data: { fn: 42 } as unknown as Contact },
          { luid: '2', state: 'ADDED', data: contactOf(person('Good Record', '020 7946 0003')) },
        ],
        lateAcks: [],
        skipped: [{ luid: '3', reason: 'broken vCard' }],
      }),
      push: async (ops: readonly PushOp[], onAcks: (r: PushResult[]) => void) => onAcks(ops.map((op, i) => ({ op, ok: true, luid: `x${i}` }))),
      finish: async () => undefined,
    };
    hub.pairDevice({ spid: 'bad', name: 'Bad phone', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(bad);
    const s = await hub.sync();
    expect(s.counts.bad?.skipped).toBe(2);
    expect(hub.contacts().map((c) => c.contact.fn)).toEqual(['Good Record']);
    expect(hub.dss.deviceLog('bad').map((l) => l.message).join('\n')).toMatch(/could not read/);
  });

  it('never reads an entry a handset lists but Concord cannot read as deleted', async () => {
    const hub = openHub();
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: [person('Mitsuko Uchida', '020 7946 0000')] });
    pair(hub, laptop);
    const phone = new SimulatedDevice({ spid: 'phone', changeTracking: 'snapshot' });
    pair(hub, phone);
    await hub.sync();
    const luid = phone.records()[0]!.luid;
    // The next listing: the entry is there, but garbled (the adapter skips it).
    const garbled: SyncPoint = {
      spid: 'phone',
      changeTracking: 'snapshot',
      capacity: {},
      retrieve: async () => ({ changeTracking: 'snapshot', lostSyncState: false, listing: [], skipped: [{ luid, reason: 'garbled +CPBR line' }] }),
      push: (ops, onAcks) => phone.push(ops, onAcks),
      finish: async () => undefined,
    };
    hub.attach(garbled);
    const s = await hub.sync(['phone']);
    expect(s.counts.phone?.skipped).toBe(1);
    expect(hub.contacts()).toHaveLength(1);
    expect(hub.pendingOf('laptop')).toEqual([]);
  });

  it('a device echoing back what the hub sent it does not take the record over (a later edit elsewhere still wins)', async () => {
    // SyncEvolution after a killed session: it stored the hub's UPDATE, the status never
    // arrived, and its change tracking now reports the record as replaced by itself — the
    // same values, plus empty placeholder properties. A lower-priority phone then renames it.
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone', changeTracking: 'snapshot' });
    let held: { luid: string; data: Contact } | null = null;
    let mode: 'normal' | 'die' | 'echo' = 'normal';
    const laptop: SyncPoint = {
      spid: 'laptop',
      changeTracking: 'log',
      capacity: {},
      retrieve: async (): Promise<Retrieved> => ({
        changeTracking: 'log',
        lostSyncState: false,
        records:
          mode === 'echo' && held
            ? [{ luid: held.luid, state: 'UPDATED', data: { ...held.data, extra: [{ name: 'X-EVOLUTION-FILE-AS', params: '', value: '' }, { name: 'GEO', params: '', value: ';' }] } }]
            : [],
        lateAcks: [],
        skipped: [],
      }),
      push: async (ops, onAcks) => {
        for (const op of ops) {
          held = { luid: 'l1', data: op.data! };
          if (mode === 'die') throw new LinkLostError('killed before the status reached the hub');
          onAcks([{ op, ok: true, luid: 'l1' }]);
        }
      },
      finish: async () => undefined,
    };
    hub.pairDevice({ spid: 'laptop', name: 'laptop', kind: 'syncml', link: 'lan', changeTracking: 'log' });
    hub.pairDevice({ spid: 'phone', name: 'phone', kind: 'simulated', link: 'simulated', changeTracking: 'snapshot' });
    hub.setPriorities(['laptop', 'phone', 'hub']);
    hub.attach(laptop);
    hub.attach(phone);
    const guid = hub.editor.add(person('Ph r9 1 e31', '020 7946 0033'));
    await hub.sync(['laptop', 'phone']);
    hub.editor.update(guid, { ...hub.contact(guid)!.contact, fn: 'Ph r9 1 e33' });
    mode = 'die';
    await hub.sync(['phone', 'laptop']);
    mode = 'echo';
    await hub.sync(['laptop']);
    mode = 'normal';
    phone.userUpdate(phone.records()[0]!.luid, { fn: 'Ph r9 1 e36' });
    await hub.sync(['phone', 'laptop']);
    expect(hub.contacts().map((c) => c.contact.fn)).toEqual(['Ph r9 1 e36']);
    expect(hub.contacts()[0]!.contact.extra).toEqual([]);
    expect(held!.data.fn).toBe('Ph r9 1 e36');
  });

  it('says so when asked to sync a paired device that is not connected', async () => {
    const hub = openHub();
    hub.pairDevice({ spid: 'phone', name: 'My phone', kind: 'simulated', link: 'simulated', changeTracking: 'snapshot' });
    const s = await hub.sync(['phone']);
    expect(s.outcome).toBe('failed');
    expect(s.counts.phone?.error).toBe('My phone is not connected. It will be synced when it is.');
  });

  it('keeps an action a device refuses pending, and says so in plain words', async () => {
    const hub = openHub();
    const sim = new SimulatedDevice({ spid: 'sim', changeTracking: 'snapshot', capacity: { maxEntries: 1 }, initial: [person('Already There', '020 7946 0009')] });
    pair(hub, sim);
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: [person('New One', '020 7946 0010')] });
    pair(hub, laptop);
    await hub.sync();
    // The hub plans no ADD beyond the SIM's capacity; the SIM holds its one entry.
    expect(sim.records()).toHaveLength(1);
    expect(hub.pendingOf('sim')).toEqual([]);
    expect(hub.contacts()).toHaveLength(2);
  });

  it('"Use this version" turns the losing side of a conflict into an edit that syncs everywhere', async () => {
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone' });
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: [person('Mitsuko Uchida', '020 7946 0000')] });
    pair(hub, phone);
    pair(hub, laptop);
    await hub.sync();
    phone.userUpdate(phone.records()[0]!.luid, { tel: [{ type: 'cell', value: '020 7946 0111' }] });
    laptop.userUpdate(laptop.records()[0]!.luid, { tel: [{ type: 'cell', value: '020 7946 0222' }] });
    await hub.sync();
    const [conflict] = hub.conflicts();
    expect(conflict?.elements[0]?.winner.value).toBe('+442079460111');
    hub.useConflictVersion(conflict!.id, 'laptop');
    await hub.sync();
    expect(hub.contacts()[0]?.contact.tel[0]?.value).toBe('+442079460222');
    expect(phone.records()[0]?.data.tel[0]?.value).toBe('+442079460222');
    expect(hub.conflicts().find((c) => c.id === conflict!.id)?.resolvedAt).not.toBeNull();
  });

  it('refuses a priority order that does not list each device once', () => {
    const hub = openHub();
    pair(hub, new SimulatedDevice({ spid: 'a' }));
    expect(() => hub.setPriorities(['a', 'a'])).toThrow(/each paired device once/);
    hub.setPriorities(['a', 'hub']);
    expect(hub.devices().map((d) => [d.spid, d.priority])).toEqual([
      ['a', 0],
      ['hub', 1],
    ]);
  });
});

describe('timeOrderedGuid', () => {
  it('makes UUID v7 strings, unique, in the order they were made', () => {
    const made = Array.from({ length: 20_000 }, () => timeOrderedGuid());
    for (const g of made) expect(g).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(made).size).toBe(made.length);
    // Within 4,096 of one millisecond the counter keeps them in order (beyond, only the
    // millisecond does): compare each with the one before in the same millisecond.
    const outOfOrder = made.filter((g, i) => i > 0 && g.slice(0, 13) === made[i - 1]!.slice(0, 13) && g < made[i - 1]! && g.slice(15, 18) !== '000');
    expect(outOfOrder).toEqual([]);
  });
});

describe('WAL checkpoints', () => {
  it('are held while a run writes and done once the hub is idle', async () => {
    const hub = openHub();
    const laptop = new SimulatedDevice({ spid: 'laptop', initial: Array.from({ length: 300 }, (_, i) => person(`Person ${i}`, `020 7946 ${String(i).padStart(4, '0')}`)) });
    pair(hub, laptop);
    const during: number[] = [];
    const off = hub.on('progress', (p) => {
      if (p.type === 'committed') during.push(hub.dss.db.pragma('wal_autocheckpoint', { simple: true }) as number);
    });
    expect((await hub.sync()).outcome).toBe('ok');
    off();
    expect(during).toEqual([0]);
    // Not yet copied back: the WAL holds frames no checkpoint has moved.
    const frames = () => (hub.dss.db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0]!;
    expect(frames().log).toBeGreaterThan(frames().checkpointed);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hub.dss.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(frames().checkpointed).toBe(frames().log);
  });
});
