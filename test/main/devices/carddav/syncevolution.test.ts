// SyncEvolution's CardDAV backend (Debian; its own discovery, no credentials on the first
// request, getctag, multiget in batches, PUT without If-Match) as a second independent
// client of the same book as vdirsyncer.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, until, type TestHub } from './harness';
import { fieldsOf, folderFields, genCards, has, mutateCards, syncevolution, vdirsyncer } from './real-clients';

describe.skipIf(!has('syncevolution') || !has('vdirsyncer'))('SyncEvolution CardDAV backend', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('sevo', [['alice', 'secret1']]);
  });
  afterAll(async () => t.close());

  it('uploads, takes changes from the hub and from another client, and converges', async () => {
    const spid = t.spids.alice!;
    const settle = async () => {
      await until(() => t.ep.carddav!.pendingChanges(spid) === 0 && !t.hub.running(), 30_000);
      await t.hub.sync();
    };
    const truth = () => t.hub.contacts().map((r) => fieldsOf(r.contact)).sort();
    const se = path.join(t.dir, 'se');
    genCards(200, se, 11);
    const up = await syncevolution(t.base, 'alice', 'secret1', se, path.join(t.dir, 'seState'));
    expect(up.rc, up.out).toBe(0);
    await settle();
    expect(truth()).toEqual(folderFields(se));

    // vdirsyncer pulls the book, changes some cards; the hub's editor changes one.
    const v = path.join(t.dir, 'v', 'contacts');
    expect((await vdirsyncer(t.base, 'alice', 'secret1', v, path.join(t.dir, 'vState'))).rc).toBe(0);
    mutateCards(v, 5, 3, 4, 3);
    expect((await vdirsyncer(t.base, 'alice', 'secret1', v, path.join(t.dir, 'vState'))).rc).toBe(0);
    await settle();
    const row = t.hub.contacts()[0]!;
    t.hub.editor.update(row.guid, { ...row.contact, title: 'Edited in the hub' });
    await t.hub.sync();

    // SyncEvolution picks it all up (getctag changed, multiget), and changes a card itself.
    const back = await syncevolution(t.base, 'alice', 'secret1', se, path.join(t.dir, 'seState'));
    expect(back.rc, back.out).toBe(0);
    expect(folderFields(se)).toEqual(truth());
    const files = fs.readdirSync(se).filter((f) => !f.startsWith('.'));
    const one = path.join(se, files[0]!);
    fs.writeFileSync(one, fs.readFileSync(one, 'utf8').replace(/^FN:.*$/m, 'FN:Changed By SyncEvolution'));
    const put = await syncevolution(t.base, 'alice', 'secret1', se, path.join(t.dir, 'seState'));
    expect(put.rc, put.out).toBe(0);
    await settle();
    expect(truth().some((f) => f.includes('Changed By SyncEvolution'))).toBe(true);
    expect((await vdirsyncer(t.base, 'alice', 'secret1', v, path.join(t.dir, 'vState'))).rc).toBe(0);
    expect(folderFields(v)).toEqual(truth());
    expect(folderFields(se)).toEqual(truth());
  }, 120_000);
});
