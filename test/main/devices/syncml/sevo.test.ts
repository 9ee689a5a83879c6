// SyncEvolution, a real and independent SyncML client, against the hub's endpoint. After
// every session the client's folder and the hub's truth must hold the same contacts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactOf } from '../../../../main/core/contact';
import {
  folderSignatures,
  genVcards,
  hasSyncEvolution,
  runClient,
  startCuttingProxy,
  startHub,
  truthSignatures,
  expectSame,
  type TestHub,
} from './harness';

const sevo = hasSyncEvolution();

function editFile(file: string, from: RegExp, to: string): void {
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
}

function files(folder: string): string[] {
  return fs.readdirSync(folder).filter((f) => !f.startsWith('.')).sort();
}

describe.skipIf(!sevo)('SyncEvolution against the hub', () => {
  let th: TestHub;
  let a: string;
  let b: string;
  const A = { SYNC_USER: 'alice', SYNC_PASS: 'secret-a' };
  const B = { SYNC_USER: 'bob', SYNC_PASS: 'secret-b', ENCODING: 'xml', AUTHTYPE: 'basic' };

  beforeAll(async () => {
    th = await startHub('sevo', [
      ['laptop A', 'alice', 'secret-a'],
      ['laptop B', 'bob', 'secret-b'],
    ]);
    a = path.join(th.dir, 'a');
    b = path.join(th.dir, 'b');
    genVcards(1000, a, 11);
  });
  afterAll(async () => {
    await th?.close();
  });

  it('slow sync of 1,000 contacts (WBXML, MD5)', async () => {
    const r = await runClient(th, th.ep.url, a, 'slow', 'a', A);
    expect(r.rc, r.out).toBe(0);
    expect(th.hub.contacts()).toHaveLength(1000);
    expectSame(truthSignatures(th.hub), folderSignatures(a));
  });

  it('a second client (XML, basic) gets everything, then an idle two-way sync changes nothing', async () => {
    const r = await runClient(th, th.ep.url, b, 'two-way', 'b', B);
    expect(r.rc, r.out).toBe(0);
    expectSame(folderSignatures(b), truthSignatures(th.hub));
    const before = truthSignatures(th.hub);
    const again = await runClient(th, th.ep.url, a, 'two-way', 'a', A);
    expect(again.rc, again.out).toBe(0);
    expectSame(truthSignatures(th.hub), before);
    expect(files(a)).toHaveLength(1000);
  });

  it('two-way: adds, updates and deletes on both clients and in the hub editor converge', async () => {
    const fa = files(a);
    // client A: update 3, delete 2, add 1
    for (const f of fa.slice(0, 3)) editFile(path.join(a, f), /^FN:(.*)$/m, 'FN:$1 Jr');
    for (const f of fa.slice(3, 5)) fs.rmSync(path.join(a, f));
    fs.writeFileSync(path.join(a, 'new-a.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Added;Alice\r\nFN:Alice Added\r\nTEL;TYPE=CELL:+44 7700 900123\r\nEND:VCARD\r\n');
    // client B: update 1 (a different contact), add 1
    const fb = files(b);
    const target = fb.find((f) => !fs.readFileSync(path.join(b, f), 'utf8').includes('Jr')) as string;
    editFile(path.join(b, target), /^FN:(.*)$/m, 'FN:$1 (B)');
    fs.writeFileSync(path.join(b, 'new-b.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:Added;Bob\r\nFN:Bob Added\r\nEMAIL:bob.added@example.org\r\nEND:VCARD\r\n');
    // the hub's editor: add 1, update 1, delete 1
    const rows = th.hub.contacts();
    th.hub.editor.add(contactOf({ fn: 'Hub Added', n: ['Added', 'Hub'], tel: [{ type: 'work', value: '+441632960001' }] }));
    const up = rows[100]!;
    th.hub.editor.update(up.guid, { ...up.contact, org: 'Edited in the hub' });
    th.hub.editor.delete(rows[200]!.guid);

    for (const [dir, cfg, env] of [
      [a, 'a', A],
      [b, 'b', B],
      [a, 'a', A],
    ] as const) {
      const r = await runClient(th, th.ep.url, dir, 'two-way', cfg, env);
      expect(r.rc, r.out).toBe(0);
    }
    const truth = truthSignatures(th.hub);
    expect(truth).toHaveLength(1000 - 2 + 1 + 1 + 1 - 1);
    expectSame(folderSignatures(a), truth);
    expectSame(folderSignatures(b), truth);
    expect(truth.some((s) => s.includes('Alice Added'))).toBe(true);
    expect(truth.some((s) => s.includes('Bob Added'))).toBe(true);
    expect(truth.some((s) => s.includes('Hub Added'))).toBe(true);
    expect(truth.some((s) => s.includes('Edited in the hub'))).toBe(true);
    expect(truth.filter((s) => s.includes(' Jr'))).toHaveLength(3);
  });

  it('refresh from server restores a client that lost its data', async () => {
    for (const f of files(b).slice(0, 50)) fs.rmSync(path.join(b, f));
    const r = await runClient(th, th.ep.url, b, 'refresh-from-server', 'b', B);
    expect(r.rc, r.out).toBe(0);
    expectSame(folderSignatures(b), truthSignatures(th.hub));
  });

  it('refresh from client makes the hub hold exactly the client data, and the others follow', async () => {
    const fa = files(a);
    for (const f of fa.slice(10, 14)) fs.rmSync(path.join(a, f));
    editFile(path.join(a, fa[20]!), /^FN:(.*)$/m, 'FN:$1 Refreshed');
    const r = await runClient(th, th.ep.url, a, 'refresh-from-client', 'a', A);
    expect(r.rc, r.out).toBe(0);
    expectSame(truthSignatures(th.hub), folderSignatures(a));
    const rb = await runClient(th, th.ep.url, b, 'two-way', 'b', B);
    expect(rb.rc, rb.out).toBe(0);
    expectSame(folderSignatures(b), truthSignatures(th.hub));
  });

  it('a wrong password is refused and changes nothing', async () => {
    const before = truthSignatures(th.hub);
    fs.writeFileSync(path.join(a, 'intruder.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Intruder\r\nN:Intruder\r\nEND:VCARD\r\n');
    const r = await runClient(th, th.ep.url, a, 'two-way', 'a', { ...A, SYNC_PASS: 'wrong' });
    expect(r.rc).not.toBe(0);
    expect(r.out).toMatch(/401|authoriz|auth/i);
    expectSame(truthSignatures(th.hub), before);
    fs.rmSync(path.join(a, 'intruder.vcf'));
  });
});

describe.skipIf(!sevo)('interrupted SyncML sessions', () => {
  it('a reply lost after each message in turn: the next sync converges, nothing lost or duplicated, no slow sync', async () => {
    const proxy = await startCuttingProxy();
    const th = await startHub('cut', [['phone', 'carol', 'pw-c']], { publicUrl: proxy.url, sessionTimeoutMs: 1_500 });
    proxy.setTarget(th.ep.url);
    // Small messages, so that both packages span several of them and a cut can fall in
    // the middle of the client's changes or of ours.
    const C = { SYNC_USER: 'carol', SYNC_PASS: 'pw-c', MAXMSGSIZE: '20000' };
    const c = path.join(th.dir, 'c');
    try {
      genVcards(200, c, 21);
      expect((await runClient(th, proxy.url, c, 'slow', 'c', C)).rc).toBe(0);
      let expected = 200;
      let resumed = 0;
      for (let cutAt = 1; cutAt <= 6; cutAt++) {
        // changes on both sides, so every package carries something
        const fc = files(c);
        editFile(path.join(c, fc[cutAt]!), /^FN:(.*)$/m, `FN:$1 v${cutAt}`);
        for (let i = 0; i < 40; i++) {
          fs.writeFileSync(path.join(c, `cut-${cutAt}-${i}.vcf`), `BEGIN:VCARD\r\nVERSION:3.0\r\nN:Cut${i};Number${cutAt}\r\nFN:Number${cutAt} Cut${i}\r\nTEL:+44207946${cutAt}${String(i).padStart(3, '0')}\r\nEND:VCARD\r\n`);
          th.hub.editor.add(contactOf({ fn: `Hub Cut ${cutAt} ${i}`, n: ['Cut', `Hub${cutAt} ${i}`], email: [{ type: '', value: `hub${cutAt}.${i}@example.org` }] }));
        }
        expected += 80;
        proxy.cut.clear();
        proxy.cut.add(proxy.count() + cutAt);
        await runClient(th, proxy.url, c, 'two-way', 'c', C);
        proxy.cut.clear();
        // let the abandoned session time out on the hub's side
        await new Promise((r) => setTimeout(r, 1_800));
        const ok = await runClient(th, proxy.url, c, 'two-way', 'c', C);
        expect(ok.rc, `cut after message ${cutAt}: ${ok.out}`).toBe(0);
        // The hub never forces a slow sync here: the anchors still match.
        expect(ok.out, `cut after message ${cutAt}`).not.toMatch(/starting slow sync/);
        if (/resum(ing|ed)/.test(ok.out)) resumed++;
        const truth = truthSignatures(th.hub);
        expect(truth, `cut after message ${cutAt}`).toHaveLength(expected);
        expect(new Set(truth).size).toBe(truth.length);
        expectSame(folderSignatures(c), truth);
        expect(truth.some((s) => s.includes(`v${cutAt}`))).toBe(true);
      }
      // SyncEvolution asks to resume after a cut in the middle of the session; the hub
      // accepts with what it kept of the interrupted session.
      expect(resumed).toBeGreaterThanOrEqual(2);
    } finally {
      await th.close();
      await proxy.close();
    }
  });
});
