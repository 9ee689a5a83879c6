// vdirsyncer (Debian) against the hub: 1,000 cards up; changes, deletions and additions on
// the client and in the hub's editor; a second vdirsyncer pulls the same book; all equal by
// parsed fields, and equal to the truth.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, until, type TestHub } from './harness';
import { fieldsOf, folderFields, genCards, has, mutateCards, vdirsyncer } from './real-clients';

const settled = (t: TestHub, spid: string) => async () => {
  const svc = t.ep.carddav!;
  return svc.pendingChanges(spid) === 0 && !t.hub.running();
};

describe.skipIf(!has('vdirsyncer'))('vdirsyncer', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub('vds', [['alice', 'secret1']]);
  });
  afterAll(async () => t.close());

  it('uploads 1,000 cards, syncs changes both ways, and a second client pulls the same book', async () => {
    const a = path.join(t.dir, 'clientA', 'contacts');
    const b = path.join(t.dir, 'clientB', 'contacts');
    genCards(1000, a, 42);
    const t0 = Date.now();
    const up = await vdirsyncer(t.base, 'alice', 'secret1', a, path.join(t.dir, 'stateA'));
    expect(up.rc, up.out).toBe(0);
    const upload = Date.now() - t0;
    await until(settled(t, t.spids.alice!), 30_000);
    await t.hub.sync();
    expect(t.hub.contacts()).toHaveLength(1000);
    const truth = () => t.hub.contacts().map((r) => fieldsOf(r.contact)).sort();
    expect(truth()).toEqual(folderFields(a));

    // On the client: 10 changed, 5 deleted, 5 added.
    mutateCards(a, 10, 5, 5, 7);
    const second = await vdirsyncer(t.base, 'alice', 'secret1', a, path.join(t.dir, 'stateA'));
    expect(second.rc, second.out).toBe(0);
    await until(settled(t, t.spids.alice!), 30_000);
    await t.hub.sync();
    expect(truth()).toEqual(folderFields(a));

    // In the hub's editor: one changed, one deleted, one added.
    const rows = t.hub.contacts();
    t.hub.editor.update(rows[0]!.guid, { ...rows[0]!.contact, note: 'changed in the hub' });
    t.hub.editor.delete(rows[1]!.guid);
    t.hub.editor.add({ fn: 'Added In Hub', n: ['Hub', 'Added'], tel: [{ type: 'cell', value: '+447700900123' }] });
    await t.hub.sync();
    const third = await vdirsyncer(t.base, 'alice', 'secret1', a, path.join(t.dir, 'stateA'));
    expect(third.rc, third.out).toBe(0);
    expect(folderFields(a)).toEqual(truth());
    expect(folderFields(a).some((f) => f.includes('changed in the hub'))).toBe(true);

    // A second client pulls the same book.
    const pull = await vdirsyncer(t.base, 'alice', 'secret1', b, path.join(t.dir, 'stateB'));
    expect(pull.rc, pull.out).toBe(0);
    expect(folderFields(b)).toEqual(folderFields(a));
    expect(fs.readdirSync(b)).toHaveLength(1000 + 5 - 5 - 1 + 1);

    // An extra sync changes nothing anywhere.
    await until(settled(t, t.spids.alice!), 30_000);
    const before = truth();
    const again = await vdirsyncer(t.base, 'alice', 'secret1', a, path.join(t.dir, 'stateA'));
    expect(again.rc, again.out).toBe(0);
    expect(truth()).toEqual(before);
    console.log(`vdirsyncer: upload of 1,000 cards ${(upload / 1000).toFixed(1)} s`);
  }, 120_000);
});
