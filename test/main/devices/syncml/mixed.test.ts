// Two SyncEvolution clients and a simulated `snapshot` device (an AT-phonebook-like
// listing) syncing through one hub converge; a contact larger than a client's MaxMsgSize
// travels both ways in pieces (MoreData).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactOf, type Contact } from '../../../../main/core/contact';
import { SimulatedDevice } from '../../../../main/devices/simulated/device';
import { decodeMessage } from '../../../../main/devices/syncml/codec';
import { vcardToContact } from '../../../../main/devices/syncml/vcard';
import { expectSame, folderSignatures, genVcards, hasSyncEvolution, runClient, signature, startHub, truthSignatures, type TestHub } from './harness';

function files(folder: string): string[] {
  return fs.readdirSync(folder).filter((f) => !f.startsWith('.')).sort();
}

function editFile(file: string, from: RegExp, to: string): void {
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
}

describe.skipIf(!hasSyncEvolution())('two SyncEvolution clients and a simulated snapshot device', () => {
  let th: TestHub;
  let a: string;
  let b: string;
  let sim: SimulatedDevice;
  const A = { SYNC_USER: 'ann', SYNC_PASS: 'pw-a' };
  const B = { SYNC_USER: 'ben', SYNC_PASS: 'pw-b', ENCODING: 'xml' };
  const simSignatures = () => sim.records().map((r) => signature(r.data)).sort();
  const syncSim = async () => {
    const s = await th.hub.sync(['sim']);
    expect(s.outcome).toBe('ok');
  };
  const client = async (dir: string, cfg: string, env: Record<string, string>, mode = 'two-way') => {
    const r = await runClient(th, th.ep.url, dir, mode, cfg, env);
    expect(r.rc, r.out).toBe(0);
    return r;
  };

  beforeAll(async () => {
    th = await startHub('mixed', [
      ['laptop A', 'ann', 'pw-a'],
      ['laptop B', 'ben', 'pw-b'],
    ]);
    a = path.join(th.dir, 'a');
    b = path.join(th.dir, 'b');
    genVcards(120, a, 41);
    // The handset holds two contacts of its own and one that laptop A has too.
    const shared = vcardToContact(fs.readFileSync(path.join(a, files(a)[7]!), 'utf8'));
    sim = new SimulatedDevice({
      spid: 'sim',
      changeTracking: 'snapshot',
      initial: [
        { fn: 'Handset Only', n: ['Only', 'Handset'], tel: [{ type: 'cell', value: '+447700900555' }] },
        { fn: 'Second Handset', n: ['Handset', 'Second'], tel: [{ type: 'home', value: '+442079460777' }] },
        shared,
      ],
    });
    th.hub.pairDevice({ spid: 'sim', name: 'handset', kind: 'simulated', link: 'simulated', changeTracking: 'snapshot', capacity: {} });
    th.hub.attach(sim);
  });
  afterAll(async () => {
    await th?.close();
  });

  it('first syncs: everyone holds the union, the shared contact once', async () => {
    await client(a, 'a', A, 'slow');
    await syncSim();
    await client(b, 'b', B);
    await client(a, 'a', A);
    const truth = truthSignatures(th.hub);
    expect(truth).toHaveLength(120 + 2);
    expectSame(folderSignatures(a), truth);
    expectSame(folderSignatures(b), truth);
    expectSame(simSignatures(), truth);
  });

  it('edits on all three converge: element edits merge, a delete loses to a higher-priority update', async () => {
    const fnOf = (dir: string, f: string) => vcardToContact(fs.readFileSync(path.join(dir, f), 'utf8')).fn;
    const fa = files(a);
    const fileA = (fn: string) => fa.find((f) => fnOf(a, f) === fn) as string;
    const plain = fa.filter((f) => !/Handset/.test(fnOf(a, f)));
    // laptop A (priority above the handset's): rename both handset contacts and one more,
    // delete one, add one
    for (const f of [fileA('Handset Only'), fileA('Second Handset'), plain[0]!]) editFile(path.join(a, f), /^FN:(.*)$/m, 'FN:$1 (A)');
    const truth0 = truthSignatures(th.hub);
    const deletedOnA = signature(vcardToContact(fs.readFileSync(path.join(a, plain[1]!), 'utf8')));
    fs.rmSync(path.join(a, plain[1]!));
    fs.writeFileSync(path.join(a, 'new-a.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Added;Ann\r\nFN:Ann Added\r\nTEL;TYPE=CELL:+44 7700 900321\r\nEND:VCARD\r\n');
    // laptop B: rename a third contact, add one
    const fb = files(b);
    const other = fb.find((f) => fnOf(b, f) === fnOf(a, plain[2]!)) as string;
    editFile(path.join(b, other), /^FN:(.*)$/m, 'FN:$1 (B)');
    fs.writeFileSync(path.join(b, 'new-b.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Added;Ben\r\nFN:Ben Added\r\nEMAIL:ben.added@example.org\r\nEND:VCARD\r\n');
    // the handset: add one; on 'Handset Only' (renamed on A) a new number and an e-mail;
    // delete 'Second Handset' (renamed on A: a delete against an update)
    sim.userAdd({ fn: 'Sim Added', n: ['Added', 'Sim'], tel: [{ type: 'cell', value: '+447700900999' }] });
    const held = sim.records();
    const only = held.find((r) => r.data.fn === 'Handset Only')!;
    sim.userUpdate(only.luid, { tel: [{ type: 'cell', value: '+447700900556' }], email: [{ type: 'home', value: 'only.edited@example.org' }] });
    sim.userDelete(held.find((r) => r.data.fn === 'Second Handset')!.luid);

    await client(a, 'a', A);
    await client(b, 'b', B);
    await syncSim();
    await client(a, 'a', A);
    await client(b, 'b', B);
    const truth = truthSignatures(th.hub);
    // 122 − 1 deleted on A + 3 added; the handset's delete lost to A's update
    expect(truth).toHaveLength(124);
    expectSame(folderSignatures(a), truth);
    expectSame(folderSignatures(b), truth);
    expectSame(simSignatures(), truth);
    for (const s of ['Ann Added', 'Ben Added', 'Sim Added', ' (B)', 'Second Handset (A)']) expect(truth.some((t) => t.includes(s)), s).toBe(true);
    expect(truth.filter((t) => t === deletedOnA)).toHaveLength(truth0.filter((t) => t === deletedOnA).length - 1);
    // A's new name and the handset's new number and e-mail, all on one record
    expect(truth.some((t) => t.includes('Handset Only (A)') && t.includes('+447700900556') && t.includes('only.edited@example.org'))).toBe(true);
    expect(truth.filter((t) => t.includes('(A)'))).toHaveLength(3);
    expect(th.hub.conflicts().length).toBeGreaterThanOrEqual(1);
    // idempotent: another round sends nothing to the handset and changes nothing
    const before = sim.received.length;
    await syncSim();
    await client(a, 'a', A);
    expect(sim.received.length).toBe(before);
    expectSame(truthSignatures(th.hub), truth);
  });

  it('a contact larger than the client MaxMsgSize goes both ways in pieces (MoreData)', async () => {
    const small = { ...A, MAXMSGSIZE: '8000' };
    const bigNote = (tag: string) => Array.from({ length: 600 }, (_, i) => `${tag} line ${i}: ünïcödé ✓ text`).join(' ');
    const hubNote = bigNote('hub');
    th.hub.editor.add(contactOf({ fn: 'Big From Hub', n: ['Hub', 'Big'], email: [{ type: '', value: 'big.hub@example.org' }], note: hubNote }));
    const clientNote = bigNote('client');
    fs.writeFileSync(path.join(b, 'big-b.vcf'), `BEGIN:VCARD\r\nVERSION:3.0\r\nN:Client;Big\r\nFN:Big From Client\r\nNOTE:${clientNote}\r\nEND:VCARD\r\n`);
    expect(Buffer.byteLength(hubNote)).toBeGreaterThan(20_000);
    // count the pieces the hub sends
    let pieces = 0;
    const server = th.ep.server;
    const handle = server.handle.bind(server);
    server.handle = async (req) => {
      const r = await handle(req);
      const enc = r.contentType.includes('wbxml') ? 'wbxml' : r.contentType.includes('syncml') ? 'xml' : null;
      if (enc) {
        for (const c of decodeMessage(r.body, enc).body) {
          if (c.kind === 'Sync') pieces += c.commands.filter((x) => x.items.some((i) => i.moreData)).length;
        }
      }
      return r;
    };
    await client(b, 'b', { ...B, MAXMSGSIZE: '8000' });
    await client(a, 'a', small);
    const noteOf = (dir: string, fn: string): string | undefined =>
      files(dir)
        .map((f) => vcardToContact(fs.readFileSync(path.join(dir, f), 'utf8')))
        .find((c: Contact) => c.fn === fn)?.note;
    server.handle = handle;
    expect(pieces).toBeGreaterThanOrEqual(2);
    expect(noteOf(a, 'Big From Hub')).toBe(hubNote);
    expect(noteOf(a, 'Big From Client')).toBe(clientNote);
    expect(th.hub.contacts().find((r) => r.contact.fn === 'Big From Client')?.contact.note).toBe(clientNote);
    expectSame(folderSignatures(a), truthSignatures(th.hub));
    expect(th.hub.pendingOf(th.hub.devices().find((d) => d.name === 'laptop A')!.spid)).toHaveLength(0);
  });
});
