// The AT driver through real serialport on a socat pty pair, against the handset simulator.
import { afterEach, describe, expect, it } from 'vitest';
import { contactOf, equalContacts, type Contact } from '../../../../main/core/contact';
import { project } from '../../../../main/core/projection';
import { entriesToContacts } from '../../../../main/devices/at-phonebook/mapping';
import { AtPhonebookSyncPoint } from '../../../../main/devices/at-phonebook/sync-point';
import { LinkLostError, type PushOp, type PushResult } from '../../../../main/hub/sync-point';
import { haveSocat, phoneOnPty, socatMissing, tempDir, type Phone } from './helpers';

const open: Phone[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function phone(opts: Parameters<typeof phoneOnPty>[1], baud = 0): Promise<Phone> {
  const p = await phoneOnPty(tempDir(), opts, baud);
  open.push(p);
  return p;
}

function adds(contacts: Contact[]): PushOp[] {
  return contacts.map((data, i) => ({ action: 'ADD', guid: `g${i}`, data }));
}

async function pushAll(sp: AtPhonebookSyncPoint, ops: PushOp[]): Promise<PushResult[]> {
  const out: PushResult[] = [];
  await sp.push(ops, (r) => out.push(...r));
  return out;
}

const MULTI_SCRIPT = [
  contactOf({ fn: 'Uchida Mitsuko', tel: [{ type: 'cell', value: '+819012345678' }, { type: 'work', value: '+81312345678' }, { type: 'home', value: '+81612345678' }] }),
  contactOf({ fn: 'Γιώργος Παπάς', tel: [{ type: 'cell', value: '+306912345678' }] }),
  contactOf({ fn: 'Дмитрий Соколов', tel: [{ type: '', value: '+79161234567' }] }),
  contactOf({ fn: '张伟', tel: [{ type: 'cell', value: '+8613800000000' }, { type: 'work', value: '+8613800000001' }] }),
  contactOf({ fn: 'Pizza 🍕 Napoli', tel: [{ type: '', value: '+390811234567' }] }),
  contactOf({ fn: 'Zoë Lefèvre-Dubois', tel: [{ type: 'home', value: '+33123456789' }] }),
];

describe.skipIf(!haveSocat)(`AT phonebook sync point over socat ${socatMissing}`, () => {
  it('reads 250 SIM and 1000 phone-memory entries, grouped as the phone holds them', async () => {
    const p = await phone({ fill: { SM: 250, ME: 1000 }, charsets: ['GSM', 'UCS2'] });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone' });
    expect(sp.identity.imei).toBe(p.sim.imei);
    expect(sp.limits.charset).toBe('UCS2');
    const r = await sp.retrieve();
    expect(r.changeTracking).toBe('snapshot');
    if (r.changeTracking !== 'snapshot') return;
    expect(sp.entriesRead).toBe(1250);
    for (const st of ['SM', 'ME']) {
      const expected = entriesToContacts([...p.sim.entries(st)].map(([index, e]) => ({ index, name: e.name, number: e.number })));
      const got = r.listing.filter((l) => l.luid.startsWith(`${st}:`));
      expect(got.length).toBe(expected.length);
      for (const [i, g] of expected.entries()) {
        expect(got[i]!.luid).toBe(`${st}:${g.indices[0]}`);
        expect(equalContacts(got[i]!.data, g.contact)).toBe(true);
      }
    }
    // Names in several scripts came through unchanged.
    const names = r.listing.map((l) => l.data.fn).join(' ');
    expect(names).toMatch(/[\u0370-\u03ff]/);
    expect(names).toMatch(/[\u0400-\u04ff]/);
    expect(names).toMatch(/[\u4e00-\u9fff]/);
    expect(names).toMatch(/\p{Extended_Pictographic}/u);
  });

  it('writes 250 SIM + 1000 ME entries and a clean re-read equals what the hub projected', async () => {
    const p = await phone({ charsets: ['UCS2'] });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone' });
    await sp.retrieve();
    const many: Contact[] = [];
    for (let i = 0; many.length < 1250; i++) {
      const base = MULTI_SCRIPT[i % MULTI_SCRIPT.length]!;
      // One number each, so exactly 1250 entries fill SM then ME.
      many.push(contactOf({ fn: `${base.fn.slice(0, 6)} ${i}`, tel: [{ type: 'cell', value: `+4477009${String(i).padStart(5, '0')}` }] }));
    }
    const data = many.map((c) => project(c, sp.capacity));
    const results = await pushAll(sp, adds(data));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(p.sim.entries('SM').size).toBe(250);
    expect(p.sim.entries('ME').size).toBe(1000);
    // A further ADD finds no room: the op fails with 'full' and stays pending.
    const [full] = await pushAll(sp, adds([contactOf({ fn: 'One more', tel: [{ type: '', value: '123' }] })]));
    expect(full!.ok === false && full!.error.code).toBe('full');
    await sp.finish(false);
    const r = await sp.retrieve();
    if (r.changeTracking !== 'snapshot') return;
    const byLuid = new Map(r.listing.map((l) => [l.luid, l.data]));
    for (const res of results) {
      if (!res.ok) continue;
      const expected = res.stored ?? res.op.data!;
      expect(equalContacts(byLuid.get(res.luid)!, expected)).toBe(true);
    }
  }, 120_000);

  it('multi-script names and several numbers round trip on a UCS2 phone; a GSM-only phone stores its own projection', async () => {
    for (const charsets of [['UCS2'], ['GSM']] as const) {
      const p = await phone({ charsets: [...charsets] });
      const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
      await sp.retrieve();
      const data = MULTI_SCRIPT.map((c) => project(c, sp.capacity));
      const results = await pushAll(sp, adds(data));
      await sp.finish(true);
      const r = await sp.retrieve();
      if (r.changeTracking !== 'snapshot') return;
      expect(r.listing).toHaveLength(MULTI_SCRIPT.length);
      for (const res of results) {
        expect(res.ok).toBe(true);
        if (!res.ok) continue;
        const held = r.listing.find((l) => l.luid === res.luid)!.data;
        if (charsets[0] === 'UCS2') {
          expect(res.stored).toBeUndefined();
          expect(equalContacts(held, res.op.data!)).toBe(true);
        } else {
          // Never an edit: what the phone holds is what the acknowledgement said it stored.
          expect(equalContacts(held, res.stored ?? res.op.data!)).toBe(true);
        }
      }
      if (charsets[0] === 'GSM') {
        expect(r.listing.map((l) => l.data.fn)).toContain('??');
        // Greek capitals exist in GSM 03.38, small letters do not.
        expect(r.listing.map((l) => l.data.fn), JSON.stringify(r.listing.map((l) => l.data.fn))).toContain('Γ?????? Π???');
      }
    }
  }, 60_000);

  it('updates change only the slots that differ and keep the LUID; deletes remove every entry', async () => {
    const p = await phone({ charsets: ['UCS2'] });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
    await sp.retrieve();
    const [added] = await pushAll(sp, adds([project(MULTI_SCRIPT[0]!, sp.capacity)]));
    expect(added!.ok && added!.luid).toBe('SM:1');
    const changed = contactOf({ ...MULTI_SCRIPT[0]!, tel: [MULTI_SCRIPT[0]!.tel[0]!, { type: 'work', value: '+81399999999' }] });
    const before = p.sim.commands;
    const [upd] = await pushAll(sp, [{ action: 'UPDATE', guid: 'g0', luid: 'SM:1', data: project(changed, sp.capacity) }]);
    expect(upd!.ok && upd!.luid).toBe('SM:1');
    expect(p.sim.commands - before).toBe(2); // one CPBW for the new work number, one delete of /H
    expect([...p.sim.entries('SM').keys()]).toEqual([1, 2]);
    const [del] = await pushAll(sp, [{ action: 'DELETE', guid: 'g0', luid: 'SM:1' }]);
    expect(del!.ok).toBe(true);
    expect(p.sim.entries('SM').size).toBe(0);
  });

  it('a cable cut during retrieve is a LinkLostError', async () => {
    const p = await phone({ fill: { ME: 1000 } }, 115200);
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['ME'] });
    const t = setTimeout(() => void p.pair.kill(), 300);
    await expect(sp.retrieve()).rejects.toBeInstanceOf(LinkLostError);
    clearTimeout(t);
  });

  it('a cable cut during push is a LinkLostError; acknowledged writes are on the phone', async () => {
    const p = await phone({ charsets: ['UCS2'] }, 115200);
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
    await sp.retrieve();
    const ops = adds(Array.from({ length: 200 }, (_, i) => contactOf({ fn: `Contact ${i}`, tel: [{ type: 'cell', value: `+4477009${String(i).padStart(5, '0')}` }] })));
    const acked: PushResult[] = [];
    const push = sp.push(ops, (r) => {
      acked.push(...r);
      if (acked.length === 40) void p.pair.kill();
    });
    await expect(push).rejects.toBeInstanceOf(LinkLostError);
    expect(acked.length).toBeGreaterThanOrEqual(40);
    expect(acked.length).toBeLessThan(200);
    for (const a of acked) {
      expect(a.ok).toBe(true);
      if (a.ok) expect(p.sim.entries('SM').has(Number(a.luid.split(':')[1]))).toBe(true);
    }
  });

  it('the simulator dropping the line after N commands is a LinkLostError', async () => {
    const p = await phone({ fill: { SM: 250 }, faults: { dropAfter: 20 } });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'], chunkSize: 10, timeoutMs: 500 });
    await expect(sp.retrieve()).rejects.toBeInstanceOf(LinkLostError);
  });

  it('a stalled link (socat stopped) is detected by the driver timeout', async () => {
    const p = await phone({ fill: { ME: 1000 } }, 115200);
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['ME'], timeoutMs: 800 });
    setTimeout(() => p.pair.stop(), 200);
    const t0 = Date.now();
    await expect(sp.retrieve()).rejects.toThrow(/stalled/);
    expect(Date.now() - t0).toBeLessThan(200 + 800 * 3 + 1500);
    p.pair.cont();
  });

  it('a stall inside the simulator (line up, nothing answered) is detected too', async () => {
    const p = await phone({ fill: { SM: 100 }, faults: { stallAfter: 25 } });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'], timeoutMs: 500, chunkSize: 5 });
    await expect(sp.retrieve()).rejects.toBeInstanceOf(LinkLostError);
  });

  it('SIM busy (+CME ERROR: 14) is retried with backoff', async () => {
    // The same open and read without the fault: how many commands they take.
    const calm = await phone({ fill: { SM: 50 } });
    const calmFrom = calm.sim.commands;
    await (await AtPhonebookSyncPoint.open(calm.link, { spid: 'phone', storages: ['SM'] })).retrieve();
    const needed = calm.sim.commands - calmFrom;

    const p = await phone({ fill: { SM: 50 }, faults: { busy: { from: 15, ms: 1200 } } });
    const from = p.sim.commands;
    const t0 = Date.now();
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
    const r = await sp.retrieve();
    const elapsed = Date.now() - t0;
    expect(p.sim.faults.busy, 'the SIM went busy').toBeUndefined();
    expect(r.changeTracking).toBe('snapshot');
    expect(sp.entriesRead).toBe(50);
    if (r.changeTracking !== 'snapshot') return;
    const expected = entriesToContacts([...p.sim.entries('SM')].map(([index, e]) => ({ index, name: e.name, number: e.number })));
    expect(r.listing.map((x) => x.data)).toEqual(expected.map((g) => g.contact));
    // Waited the busy spell out (1.2 s) …
    expect(elapsed).toBeGreaterThanOrEqual(1100);
    // … with few retries, each after a longer pause (100, 200, 400, 800 ms …), not a tight
    // loop of hundreds of busy answers.
    const retries = p.sim.commands - from - needed;
    expect(retries).toBeGreaterThanOrEqual(2);
    expect(retries).toBeLessThanOrEqual(8);
  });

  it('SIM busy for longer than the retry budget fails the op with code busy', async () => {
    const p = await phone({ charsets: ['UCS2'] });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'], busyRetryMs: 300 });
    await sp.retrieve();
    p.sim.faults.busy = { from: 0, ms: 5000 };
    const [r] = await pushAll(sp, adds([contactOf({ fn: 'A', tel: [{ type: '', value: '1' }] })]));
    expect(r!.ok === false && r!.error.code).toBe('busy');
  });

  it('memory full (+CME ERROR: 20) fails the op with code full, nothing half-written', async () => {
    const p = await phone({ charsets: ['UCS2'], faults: { fullAfter: 2 } });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
    await sp.retrieve();
    const res = await pushAll(sp, adds([
      contactOf({ fn: 'One', tel: [{ type: '', value: '1' }] }),
      contactOf({ fn: 'Two', tel: [{ type: 'cell', value: '2' }, { type: 'work', value: '3' }] }),
      contactOf({ fn: 'Three', tel: [{ type: '', value: '4' }] }),
    ]));
    expect(res.map((r) => r.ok)).toEqual([true, false, true]);
    expect(res[1]!.ok === false && res[1]!.error.code).toBe('full');
    expect([...p.sim.entries('SM').values()].map((e) => e.name)).toEqual(['One', 'Three']);
  });

  it('garbled answers are read again; unsolicited result codes are ignored', async () => {
    const p = await phone({ fill: { SM: 120 }, faults: { garble: [12, 14, 16], urcEvery: 3 } });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'], chunkSize: 10, timeoutMs: 500 });
    const r = await sp.retrieve();
    if (r.changeTracking !== 'snapshot') return;
    const expected = entriesToContacts([...p.sim.entries('SM')].map(([index, e]) => ({ index, name: e.name, number: e.number })));
    expect(r.listing.length).toBe(expected.length);
    for (const [i, g] of expected.entries()) expect(equalContacts(r.listing[i]!.data, g.contact)).toBe(true);
  });

  it('a swapped SIM (IMSI changed) is a device that lost its sync state', async () => {
    const p = await phone({ fill: { SM: 5 }, imsi: '001019999999999' });
    const same = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', knownImsi: '001019999999999' });
    expect((await same.retrieve()).lostSyncState).toBe(false);
    same.detach();
    const swapped = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', knownImsi: '001010000000001' });
    expect((await swapped.retrieve()).lostSyncState).toBe(true);
    expect(swapped.config()).toMatchObject({ imei: p.sim.imei, imsi: '001019999999999' });
  });

  it('a name longer than the phone really accepts (+CME ERROR: 24) is shortened and reported as stored', async () => {
    const p = await phone({ charsets: ['UCS2'], storages: [{ name: 'SM', size: 10, nameLength: 14, numberLength: 40 }] });
    const sp = await AtPhonebookSyncPoint.open(p.link, { spid: 'phone', storages: ['SM'] });
    await sp.retrieve();
    // The phone claimed 14 but takes 8 (seen on real SIMs whose UCS2 entries are shorter).
    p.sim.storages.get('SM')!.nameLength = 8;
    const [r] = await pushAll(sp, adds([contactOf({ fn: 'Alexandra Bell', tel: [{ type: 'cell', value: '+447700900001' }] })]));
    expect(r!.ok).toBe(true);
    if (r!.ok) expect(r!.stored?.fn).toBe('Alexan');
    expect([...p.sim.entries('SM').values()][0]!.name).toBe('Alexan/M');
  });
});
