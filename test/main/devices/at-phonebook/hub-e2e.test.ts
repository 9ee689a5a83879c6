// End to end: the Hub (real SQLite in a temp dir) syncs the simulated handset over a socat
// pty pair and real serialport against a simulated laptop.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contactOf, contactSignature, normalizeContact, type Contact } from '../../../../main/core/contact';
import { project } from '../../../../main/core/projection';
import { entriesToContacts } from '../../../../main/devices/at-phonebook/mapping';
import { AtPhonebookSyncPoint } from '../../../../main/devices/at-phonebook/sync-point';
import { SimulatedDevice } from '../../../../main/devices/simulated/device';
import { Hub } from '../../../../main/hub/hub';
import type { RunSummary } from '../../../../main/hub/types';
import { haveSocat, phoneOnPty, socatMissing, tempDir, type Phone } from './helpers';

const PHONE = 'imei:356938035643809';
const REGION = 'GB';

const SCRIPTS = ['Anna Lindqvist', 'Γιώργος Νίκου', 'Ольга Петрова', '山田 太郎', 'Pizza 🍕 Roma', 'José Ñúñez', '김민준', 'Zoë Dubois'];

function laptopContacts(n: number): Partial<Contact>[] {
  return Array.from({ length: n }, (_, i) => ({
    fn: `${SCRIPTS[i % SCRIPTS.length]} ${i}`,
    email: [{ type: '', value: `p${i}@example.org` }],
    tel:
      i % 4 === 0
        ? [
            { type: 'cell', value: `+4478${String(i).padStart(8, '0')}` },
            { type: 'work', value: `+4420${String(i).padStart(8, '0')}` },
          ]
        : [{ type: 'cell', value: `+4479${String(i).padStart(8, '0')}` }],
  }));
}

let hub: Hub | null = null;
let phone: Phone | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
  await phone?.close();
  phone = null;
});

/** What the phone holds, as contacts, normalized as the hub compares them. */
function phoneHolds(p: Phone): string[] {
  const out: string[] = [];
  for (const st of ['SM', 'ME']) {
    const groups = entriesToContacts([...p.sim.entries(st)].map(([index, e]) => ({ index, name: e.name, number: e.number })));
    for (const g of groups) out.push(contactSignature(normalizeContact(g.contact, REGION)));
  }
  return out.sort();
}

/** A hub in `dir` with a simulated laptop and the simulated handset on a pty, both paired
 *  and attached (the module's `hub` and `phone`, closed after each test). */
async function handsetAndLaptop(dir: string, opts: Parameters<typeof phoneOnPty>[1], initial: Partial<Contact>[]): Promise<{ laptop: SimulatedDevice; sp: AtPhonebookSyncPoint; hub: Hub; phone: Phone }> {
  const ph = await phoneOnPty(dir, opts);
  phone = ph;
  const h = Hub.open({ dataDir: dir, region: REGION });
  hub = h;
  const laptop = new SimulatedDevice({ spid: 'laptop', changeTracking: 'log', initial });
  h.pairDevice({ spid: 'laptop', name: 'Laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
  h.attach(laptop);
  const sp = await AtPhonebookSyncPoint.open(ph.link, { spid: PHONE, knownImsi: null, timeoutMs: 1000 });
  h.pairDevice({ spid: PHONE, name: 'Handset', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp.capacity, config: sp.config() });
  h.attach(sp);
  return { laptop, sp, hub: h, phone: ph };
}

function quiet(s: RunSummary): boolean {
  return Object.values(s.counts).every((c) => c.in.add + c.in.update + c.in.delete + c.out.add + c.out.update + c.out.delete === 0 && c.pending === 0 && !c.error);
}

describe.skipIf(!haveSocat)(`Hub ↔ simulated handset over socat ↔ simulated laptop ${socatMissing}`, () => {
  it('converges, reads nothing back as an edit, and recovers from a cable cut mid-push', async () => {
    const dir = tempDir('atpb-e2e-');
    phone = await phoneOnPty(dir, { charsets: ['GSM', 'UCS2'], fill: { SM: 250, ME: 600 } });
    hub = Hub.open({ dataDir: dir, region: REGION });
    const laptop = new SimulatedDevice({ spid: 'laptop', changeTracking: 'log', initial: laptopContacts(150) });
    const open = async () => {
      const sp = await AtPhonebookSyncPoint.open(phone!.link, { spid: PHONE, knownImsi: (hub!.device(PHONE)?.config.imsi as string | undefined) ?? null, timeoutMs: 1000 });
      if (!hub!.device(PHONE)) hub!.pairDevice({ spid: PHONE, name: 'Sim handset', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp.capacity, config: sp.config() });
      hub!.attach(sp);
      return sp;
    };
    hub.pairDevice({ spid: 'laptop', name: 'Laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(laptop);
    const sp = await open();

    // Run 1: both sides' contacts everywhere.
    const r1 = await hub.sync();
    expect(r1.outcome).toBe('ok');
    const truth = hub.contacts().map((c) => c.contact);
    const phoneView = truth.map((c) => contactSignature(project(c, sp.capacity))).sort();
    expect(phoneHolds(phone)).toEqual(phoneView);
    expect(laptop.records().length).toBe(truth.length);
    // Several numbers per contact came back from the phone as one contact.
    expect(truth.some((c) => c.tel.length >= 2 && c.email.length === 0)).toBe(true);
    // Names in every script survived the phone.
    const names = truth.map((c) => c.fn).join(' ');
    for (const re of [/[\u0370-\u03ff]/, /[\u0400-\u04ff]/, /[\u4e00-\u9fff]/, /[\uac00-\ud7af]/, /\p{Extended_Pictographic}/u]) expect(names).toMatch(re);

    // Run 2: nothing read back as an edit, nothing sent.
    const r2 = await hub.sync();
    expect(quiet(r2)).toBe(true);

    // Edits on the laptop; the cable is cut after some acknowledgements to the phone.
    for (const rec of laptop.records().slice(0, 40)) {
      laptop.userUpdate(rec.luid, { tel: [{ type: 'cell', value: `+4475${String(Math.abs(hashOf(rec.luid))).padStart(8, '0').slice(0, 8)}` }] });
    }
    let cut = false;
    const off = hub.on('progress', (p) => {
      if (!cut && p.type === 'device-pushing' && p.spid === PHONE && p.done >= 10) {
        cut = true;
        void phone!.pair.kill();
      }
    });
    const r3 = await hub.sync();
    off();
    expect(cut).toBe(true);
    expect(r3.counts[PHONE]!.error).toMatch(/lost/);
    expect(r3.counts[PHONE]!.pending).toBeGreaterThan(0);

    // Plugged in again (a new port): the same IMEI, the pending actions are carried out.
    hub.detach(PHONE);
    await phone.replug();
    const sp2 = await open();
    expect(sp2.identity.imei).toBe(sp.identity.imei);
    const r4 = await hub.sync();
    expect(r4.outcome).toBe('ok');
    expect(r4.counts[PHONE]!.pending).toBe(0);
    const truth2 = hub.contacts().map((c) => c.contact);
    expect(truth2.length).toBe(truth.length); // nothing doubled, nothing lost
    expect(phoneHolds(phone)).toEqual(truth2.map((c) => contactSignature(project(c, sp2.capacity))).sort());
    expect(quiet(await hub.sync())).toBe(true);

    // A number the user changes on the handset reaches the laptop.
    const [ix, e] = [...phone.sim.entries('SM')].find(([, x]) => !x.name.includes('/'))!;
    phone.sim.entries('SM').set(ix, { ...e, number: '+447000000123' });
    const r6 = await hub.sync();
    expect(r6.counts[PHONE]!.in.update).toBe(1);
    expect(laptop.records().some((rec) => rec.data.tel.some((t) => t.value === '+447000000123'))).toBe(true);
    expect(quiet(await hub.sync())).toBe(true);
    fs.rmSync(path.join(dir), { recursive: true, force: true });
  }, 180_000);

  it('a GSM-only phone: names it cannot show are its projection, never an edit, and nothing is sent again', async () => {
    const dir = tempDir('atpb-e2e-gsm-');
    const { laptop, hub, phone } = await handsetAndLaptop(dir, { charsets: ['GSM'], fill: { SM: 10 } }, laptopContacts(24));
    expect((await hub.sync()).outcome).toBe('ok');
    // The phone shows '?' for what GSM 03.38 cannot hold; the truth keeps the real names.
    const held = [...phone.sim.entries('SM').values()].map((e) => e.name).join(' ');
    expect(held).toMatch(/\?/);
    expect(hub.contacts().map((c) => c.contact.fn).join(' ')).toMatch(/[\u0400-\u04ff]/);
    // The laptop's own contacts came back unchanged (the phone's '?' never flowed back).
    const onLaptop = new Set(laptop.records().map((r) => r.data.fn));
    for (const c of laptopContacts(24)) expect(onLaptop.has(c.fn!)).toBe(true);
    // The next runs read nothing back and send nothing.
    expect(quiet(await hub.sync())).toBe(true);
    // A change the phone cannot see (an e-mail) on a contact whose name it shows as '?'s
    // sends the phone nothing: it already holds what it can of that record.
    const olga = laptop.records().find((r) => /Ольга/.test(r.data.fn))!;
    laptop.userUpdate(olga.luid, { email: [{ type: '', value: 'olga@example.org' }] });
    const r = await hub.sync();
    expect(r.counts.laptop!.in.update).toBe(1);
    expect(r.counts[PHONE]!.out).toEqual({ add: 0, update: 0, delete: 0 });
    expect(quiet(await hub.sync())).toBe(true);
    fs.rmSync(path.join(dir), { recursive: true, force: true });
  }, 120_000);
});

describe.skipIf(!haveSocat)(`a name typed on the handset ${socatMissing}`, () => {
  it('keeps its whole length in the truth when the phone stores it whole, and leaves the phone as it is', async () => {
    const dir = tempDir('atpb-e2e-typed-');
    const { laptop, sp, hub, phone } = await handsetAndLaptop(dir, { charsets: ['GSM', 'UCS2'], fill: { SM: 2 } }, []);
    expect((await hub.sync()).outcome).toBe('ok');
    // One number, no type: the handset stores the name with no suffix, all 14 characters,
    // though a contact with a suffixed number would get only 12.
    const name = 'Quinn Handsets';
    expect(Array.from(name).length).toBe(sp.limits.nameLength);
    phone.sim.entries('SM').set(200, { name, number: '+447700900202', type: 145 });
    const r = await hub.sync();
    expect(r.counts[PHONE]!.in.add).toBe(1);
    expect(hub.contacts().map((c) => c.contact.fn)).toContain(name);
    expect(laptop.records().map((x) => x.data.fn)).toContain(name);
    // The phone is not rewritten to the shorter name, now or at the next run.
    expect(r.counts[PHONE]!.out).toEqual({ add: 0, update: 0, delete: 0 });
    expect(phone.sim.entries('SM').get(200)!.name).toBe(name);
    expect(quiet(await hub.sync())).toBe(true);
    // A second number from the laptop: the phone now writes two suffixed entries, with the
    // name cut to fit the suffix; the truth and the laptop keep the whole name.
    const rec = laptop.records().find((x) => x.data.fn === name)!;
    laptop.userUpdate(rec.luid, { tel: [...rec.data.tel, { type: 'work', value: '+442079460999' }] });
    const r2 = await hub.sync();
    expect(r2.counts[PHONE]!.out.update).toBe(1);
    expect([...phone.sim.entries('SM').values()].map((e) => e.name)).toEqual(expect.arrayContaining(['Quinn Handse/O', 'Quinn Handse/W']));
    expect(hub.contacts().map((c) => c.contact.fn)).toContain(name);
    expect(laptop.records().map((x) => x.data.fn)).toContain(name);
    expect(quiet(await hub.sync())).toBe(true);
    fs.rmSync(path.join(dir), { recursive: true, force: true });
  }, 120_000);
});

function hashOf(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

void contactOf;
