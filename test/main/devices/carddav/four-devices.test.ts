// Four kinds of device converging through the hub: a SyncML laptop (SyncEvolution), an AT
// handset (the simulator over a socat pty), and two CardDAV clients, vdirsyncer and tsdav,
// on two accounts. Two accounts, not one: each account is a sync point of its own, so the
// hub reconciles the two books by priority like any two devices; two clients of one
// account would only share one collection through CardDAV's own ETags, which the other
// tests show. Each device adds, edits and deletes; the laptop and the Mac (vdirsyncer) edit
// the same contact's title and the laptop's priority wins; the Mac edits a contact that
// the handset deletes and the Mac's priority wins. Syncs in rounds until all four
// hold the same contacts: parsed fields on the laptop and the CardDAV clients, the method's
// projection (names cut to the phone's length, numbers only) on the handset.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBookMultiGet, DAVClient, type DAVObject } from 'tsdav';
import { contactSignature, normalizeContact, normalizePhone, type Contact } from '../../../../main/core/contact';
import { project } from '../../../../main/core/projection';
import { EDITOR_SPID } from '../../../../main/core/types';
import { parseVCard } from '../../../../main/core/vcard';
import { entriesToContacts } from '../../../../main/devices/at-phonebook/mapping';
import { AtPhonebookSyncPoint } from '../../../../main/devices/at-phonebook/sync-point';
import { pairSyncmlDevice } from '../../../../main/devices/syncml/pair';
import { haveSocat, phoneOnPty, type Phone } from '../at-phonebook/helpers';
import { hasSyncEvolution, runClient } from '../syncml/harness';
import { startHub, until, type TestHub } from './harness';
import { has, vdirsyncer, vdirsyncerAgain } from './real-clients';

const PHONE = 'imei:356938035640001';

/** What every side keeps of a contact, order-free: names, numbers, e-mails, organisation,
 *  title. (Types of numbers are each client's own business.) */
function sig(c: Contact): string {
  const n = normalizeContact(c, 'GB');
  return JSON.stringify([n.fn, n.n, n.tel.map((x) => normalizePhone(x.value, 'GB')).sort(), n.email.map((e) => e.value.toLowerCase()).sort(), n.org, n.title]);
}

function vcard(fn: string, tel: string, extra = ''): string {
  const [given, family] = fn.split(' ');
  return `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${fn.replace(/\W/g, '-').toLowerCase()}\r\nN:${family ?? ''};${given ?? ''};;;\r\nFN:${fn}\r\nTEL;TYPE=CELL:${tel}\r\n${extra}END:VCARD\r\n`;
}

function folderSigs(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('.') && fs.statSync(path.join(dir, f)).isFile())
    .map((f) => sig(parseVCard(fs.readFileSync(path.join(dir, f), 'utf8')).contact))
    .sort();
}

/** The file in a folder whose card has this FN. */
function fileOf(dir: string, fn: string): string {
  const f = fs.readdirSync(dir).find((x) => !x.startsWith('.') && new RegExp(`^FN:${fn}\\r?$`, 'm').test(fs.readFileSync(path.join(dir, x), 'utf8')));
  if (!f) throw new Error(`no card ${fn} in ${dir}`);
  return path.join(dir, f);
}

function edit(file: string, from: RegExp, to: string): void {
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
}

describe.skipIf(!hasSyncEvolution() || !has('vdirsyncer') || !haveSocat)('a SyncML laptop, an AT handset and two CardDAV clients', () => {
  let t: TestHub;
  let phone: Phone;
  let sp: AtPhonebookSyncPoint;
  let client: DAVClient;
  let book: Awaited<ReturnType<DAVClient['fetchAddressBooks']>>[number];
  let laptop: string;
  let mac: string;
  let vds: string;
  let bobCards: DAVObject[] = [];

  const truthSigs = () => t.hub.contacts().map((r) => sig(r.contact)).sort();
  const settle = async () => {
    await until(() => !t.hub.running() && ['alice', 'bob'].every((u) => t.ep.carddav!.pendingChanges(t.spids[u]!) === 0), 30_000);
    const s = await t.hub.sync();
    expect(s.outcome).toBe('ok');
  };
  const syncLaptop = async (mode = 'two-way') => {
    const r = await runClient(t, t.ep.url, laptop, mode, 'laptop', { SYNC_USER: 'sam', SYNC_PASS: 'pw-sam' });
    expect(r.rc, r.out).toBe(0);
  };
  const syncMac = async () => {
    const r = await vdirsyncerAgain(vds);
    expect(r.rc, r.out).toBe(0);
  };
  const syncBob = async () => {
    bobCards = await client.fetchVCards({ addressBook: book });
  };
  /** The handset's entries read back as contacts, through the same mapping the hub uses,
   *  compared as the hub compares them: through its projection (a name the user typed
   *  whole, with no number suffix, may be longer than the projection keeps). */
  const phoneSigs = () => {
    const out: string[] = [];
    for (const st of ['SM', 'ME']) {
      const groups = entriesToContacts([...phone.sim.entries(st)].map(([index, e]) => ({ index, name: e.name, number: e.number })));
      for (const g of groups) out.push(contactSignature(project(normalizeContact(g.contact, 'GB'), sp.capacity)));
    }
    return out.sort();
  };
  /** The truth through the handset's projection (names cut, numbers only). */
  const truthOnPhone = () => t.hub.contacts().map((r) => contactSignature(project(r.contact, sp.capacity))).sort();
  /** The handset's entry with this name: its storage's map and its index. */
  const entry = (name: string) => {
    for (const st of ['SM', 'ME']) {
      const m = phone.sim.entries(st);
      for (const [ix, e] of m) if (e.name === name || e.name.startsWith(`${name}/`)) return { m, ix, e };
    }
    throw new Error(`no entry ${name} on the handset`);
  };
  const round = async () => {
    await syncLaptop();
    await settle(); // the handset and both books
    await syncMac();
    await syncBob();
    await settle();
  };
  const expectAllSame = () => {
    const truth = truthSigs();
    expect(new Set(truth).size).toBe(truth.length);
    expect(folderSigs(laptop)).toEqual(truth);
    expect(folderSigs(mac)).toEqual(truth);
    expect(bobCards.map((o) => sig(parseVCard(String(o.data)).contact)).sort()).toEqual(truth);
    expect(phoneSigs()).toEqual(truthOnPhone());
  };

  beforeAll(async () => {
    // A run waits for a client's quiet moment of 1.5 s: one vdirsyncer sync is one run,
    // whatever the machine's load.
    t = await startHub(
      'four',
      [
        ['alice', 'secret1'],
        ['bob', 'secret2'],
      ],
      { debounceMs: 1500, maxDelayMs: 20_000 },
    );
    const sam = pairSyncmlDevice(t.hub, 'Laptop', 'sam', 'pw-sam').spid;
    phone = await phoneOnPty(t.dir, { charsets: ['GSM', 'UCS2'] });
    // The handset's own two contacts.
    phone.sim.entries('SM').set(1, { name: 'Pat Phone', number: '+447700900201', type: 145 });
    phone.sim.entries('SM').set(2, { name: 'Quinn Handset', number: '+447700900202', type: 145 });
    sp = await AtPhonebookSyncPoint.open(phone.link, { spid: PHONE, knownImsi: null, timeoutMs: 1000 });
    t.hub.pairDevice({ spid: PHONE, name: 'Handset', kind: 'at-phonebook', link: 'usb', changeTracking: 'snapshot', capacity: sp.capacity, config: sp.config() });
    t.hub.attach(sp);
    t.hub.setPriorities([EDITOR_SPID, sam, t.spids.alice!, t.spids.bob!, PHONE]);
    laptop = path.join(t.dir, 'laptop');
    mac = path.join(t.dir, 'mac', 'contacts');
    vds = path.join(t.dir, 'vds');
    fs.mkdirSync(laptop, { recursive: true });
    fs.mkdirSync(mac, { recursive: true });
    fs.writeFileSync(path.join(laptop, 's1.vcf'), vcard('Sam One', '+44 20 7946 0101', 'EMAIL:sam.one@example.org\r\n'));
    fs.writeFileSync(path.join(laptop, 's2.vcf'), vcard('Sam Two', '+44 20 7946 0102'));
    fs.writeFileSync(path.join(laptop, 's3.vcf'), vcard('Sam Three', '+44 20 7946 0103', 'ORG:Laptop Ltd\r\n'));
    fs.writeFileSync(path.join(mac, 'a1.vcf'), vcard('Ann One', '+44 20 7946 0201', 'TITLE:Engineer\r\n'));
    fs.writeFileSync(path.join(mac, 'a2.vcf'), vcard('Ann Two', '+44 20 7946 0202'));
    fs.writeFileSync(path.join(mac, 'a3.vcf'), vcard('Alexandra Longname-Smythe', '+44 20 7946 0203', 'EMAIL:alexandra@example.org\r\n'));
    client = new DAVClient({ serverUrl: `${t.base}/`, credentials: { username: 'bob', password: 'secret2' }, authMethod: 'Basic', defaultAccountType: 'carddav' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await phone?.close();
  });

  it('first syncs: all four hold the union, each contact once', async () => {
    // Each CardDAV client brings its own cards first (the book goes online after that).
    const up = await vdirsyncer(t.base, 'alice', 'secret1', mac, vds);
    expect(up.rc, up.out).toBe(0);
    await client.login();
    book = { ...(await client.fetchAddressBooks())[0]!, objectMultiGet: addressBookMultiGet };
    for (const [i, fn] of ['Bea One', 'Bea Two', 'Bea Three'].entries()) {
      expect((await client.createVCard({ addressBook: book, filename: `b${i + 1}.vcf`, vCardString: vcard(fn, `+44 20 7946 030${i + 1}`) })).status).toBe(201);
    }
    await until(() => t.ep.carddav!.isOnline(t.spids.alice!) && t.ep.carddav!.isOnline(t.spids.bob!));
    await syncLaptop('slow');
    await settle();
    await round();
    await round();
    expect(t.hub.contacts()).toHaveLength(3 + 3 + 3 + 2);
    // The name typed on the handset (13 characters, no suffix: stored whole) is whole in
    // the truth, not cut to the 12 a suffixed entry leaves.
    expect(t.hub.contacts().map((r) => r.contact.fn)).toContain('Quinn Handset');
    expectAllSame();
  }, 60_000);

  it('adds, edits, deletes on each and two conflicts: the rounds converge, priority decides', async () => {
    // The laptop: adds one, edits one's e-mail, deletes one, and sets Ann One's title.
    fs.writeFileSync(path.join(laptop, 's4.vcf'), vcard('Sam Four', '+44 20 7946 0104'));
    edit(fileOf(laptop, 'Sam One'), /^EMAIL.*$/m, 'EMAIL:sam.one@laptop.example.org');
    fs.rmSync(fileOf(laptop, 'Sam Two'));
    edit(fileOf(laptop, 'Ann One'), /^TITLE.*$/m, 'TITLE:Laptop title');
    // The Mac: adds one, a new number on one, deletes one, and Ann One's title too.
    fs.writeFileSync(path.join(mac, 'a4.vcf'), vcard('Ann Four', '+44 20 7946 0204'));
    edit(fileOf(mac, 'Ann Two'), /^TEL.*$/m, 'TEL;TYPE=CELL:+44 20 7946 0299');
    fs.rmSync(fileOf(mac, 'Sam Three'));
    edit(fileOf(mac, 'Ann One'), /^TITLE.*$/m, 'TITLE:Mac title');
    // The handset: adds one, a new number for Bea Two, deletes Pat Phone, and deletes Ann
    // Two, which the Mac (of higher priority) edits: a delete against an update, in one run.
    const sm = phone.sim.entries('SM');
    const free = [...Array(250).keys()].map((i) => i + 1).find((i) => !sm.has(i))!;
    sm.set(free, { name: 'Rob Handset', number: '+447700900203', type: 145 });
    const bea = entry('Bea Two');
    bea.m.set(bea.ix, { ...bea.e, number: '+447700900399' });
    for (const fn of ['Pat Phone', 'Ann Two']) {
      const e = entry(fn);
      e.m.delete(e.ix);
    }
    // The Mac syncs first (its run reads the handset too); the laptop's title, of higher
    // priority, wins later.
    await syncMac();
    await settle();
    // tsdav: adds one, an organisation on one, deletes one.
    await syncBob();
    expect((await client.createVCard({ addressBook: book, filename: 'b4.vcf', vCardString: vcard('Bea Four', '+44 20 7946 0304') })).status).toBe(201);
    const beaOne = bobCards.find((o) => String(o.data).includes('FN:Bea One'))!;
    expect((await client.updateVCard({ vCard: { ...beaOne, data: String(beaOne.data).replace(/^END:VCARD/m, 'ORG:Bea Corp\r\nEND:VCARD') } })).status).toBe(204);
    const quinn = bobCards.find((o) => String(o.data).includes('FN:Quinn Handset'))!;
    expect((await client.deleteVCard({ vCard: quinn })).status).toBe(204);
    await round();
    await round();
    expectAllSame();
    const truth = t.hub.contacts().map((r) => r.contact);
    const byName = (fn: string) => truth.find((c) => c.fn === fn);
    expect(byName('Ann One')?.title).toBe('Laptop title');
    // Both conflicts are in the log, each decided by priority.
    const guidOf = (fn: string) => t.hub.contacts().find((r) => r.contact.fn === fn)!.guid;
    const conflicts = t.hub.conflicts();
    expect(conflicts.find((c) => c.guid === guidOf('Ann One'))?.kind).toBe('elements');
    expect(conflicts.find((c) => c.guid === guidOf('Ann Two'))?.kind).toBe('delete-update');
    for (const fn of ['Sam Four', 'Ann Four', 'Bea Four', 'Rob Handset']) expect(byName(fn), fn).toBeDefined();
    for (const fn of ['Sam Two', 'Sam Three', 'Pat Phone', 'Quinn Handset']) expect(byName(fn), fn).toBeUndefined();
    // The Mac's update of Ann Two outranks the handset's delete: it is back on the handset.
    expect(byName('Ann Two')?.tel.map((x) => x.value)).toEqual(['+442079460299']);
    expect(entry('Ann Two').e.number).toBe('+442079460299');
    expect(byName('Sam One')?.email.map((e) => e.value)).toEqual(['sam.one@laptop.example.org']);
    expect(byName('Bea One')?.org).toBe('Bea Corp');
    expect(byName('Bea Two')?.tel.map((x) => x.value)).toEqual(['+447700900399']);
    expect(truth).toHaveLength(11 + 4 - 4);
    // The long name is whole everywhere but on the handset, which shows what it can.
    expect(byName('Alexandra Longname-Smythe')).toBeDefined();
    expect([...phone.sim.entries('SM').values(), ...phone.sim.entries('ME').values()].some((e) => e.name.startsWith('Alexandra') && e.name.length <= 14)).toBe(true);
  }, 90_000);
});
