// How the commit before the push writes the history (sync-method.md, "The safety net":
// history): first in its transaction, one statement per kind and batch, each version
// before the run copied from the truth row the commit then replaces or deletes.
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../../main/core/contact';
import { Overlay } from '../../../main/core/overlay';
import type { TruthRecord } from '../../../main/core/types';
import { historyOf } from '../../../main/dss/history';
import { Dss } from '../../../main/dss/store';
import { SimulatedDevice } from '../../../main/devices/simulated/device';
import type { Hub } from '../../../main/hub/hub';
import { hubFixture } from '../../lib/hubs';
import path from 'node:path';

const { tmpDir, openHub } = hubFixture('history-commit');

const person = (fn: string, tel: string): Partial<Contact> => ({ fn, tel: [{ type: 'cell', value: tel }] });
function pair(hub: Hub, dev: SimulatedDevice): void {
  hub.pairDevice({ spid: dev.spid, name: dev.spid, kind: 'simulated', link: 'simulated', changeTracking: dev.changeTracking });
  hub.attach(dev);
}
const guidOf = (hub: Hub, fn: string) => hub.contacts().find((r) => r.contact.fn === fn)!.guid;

interface Row {
  id: number;
  guid: string;
  kind: string;
  before: string | null;
  writers: string;
}

describe('the history the commit writes', () => {
  it('an update, an add and a deletion in one run: each version before is the truth row as it stood, with the run and its writers', async () => {
    const hub = openHub();
    const phone = new SimulatedDevice({ spid: 'phone', initial: [person('Maria Yudina', '020 7946 0404'), person('Emil Gilels', '020 7946 0505')] });
    const laptop = new SimulatedDevice({ spid: 'laptop' });
    pair(hub, phone);
    pair(hub, laptop);
    await hub.sync();
    const db = hub.dss.db;
    const raw = (guid: string) => db.prepare('SELECT contact FROM truth WHERE guid = ?').pluck().get(guid) as string;
    const yudina = guidOf(hub, 'Maria Yudina');
    const gilels = guidOf(hub, 'Emil Gilels');
    const yudinaBefore = raw(yudina);
    const gilelsBefore = raw(gilels);

    // The phone changes a number of one, deletes the other and adds a third; the laptop
    // adds an e-mail to the first.
    phone.userUpdate(hub.dss.mapOf('phone', yudina)!.luid, { tel: [{ type: 'cell', value: '020 7946 0999' }] });
    laptop.userUpdate(hub.dss.mapOf('laptop', yudina)!.luid, { email: [{ type: '', value: 'my@example.org' }] });
    phone.userDelete(hub.dss.mapOf('phone', gilels)!.luid);
    phone.userAdd(person('Sviatoslav Richter', '020 7946 0606'));
    const run = await hub.sync();
    const richter = guidOf(hub, 'Sviatoslav Richter');

    const rows = db.prepare('SELECT id, guid, kind, before, writers FROM history WHERE run_id = ? ORDER BY id').all(run.id) as Row[];
    expect(rows.map((r) => [r.guid, r.kind])).toEqual([
      [yudina, 'updated'],
      [richter, 'added'],
      [gilels, 'deleted'],
    ]);
    const [upd, add, del] = rows;
    // The text the truth held before the run.
    expect(upd!.before).toBe(yudinaBefore);
    expect(del!.before).toBe(gilelsBefore);
    expect(add!.before).toBeNull();
    const writers = JSON.parse(upd!.writers) as Record<string, string>;
    expect(Object.values(writers).sort()).toEqual(['laptop', 'phone']);
    expect(Object.keys(writers).length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(del!.writers)).toEqual({ '*': 'phone' });
    expect(JSON.parse(add!.writers)).toEqual({ '*': 'phone' });

    // Read back as the UI and undo read it.
    const entries = historyOf(db).ofRun(run.id);
    expect(entries[0]!.before).toEqual(JSON.parse(yudinaBefore));
    expect(entries[0]!.after).toEqual(hub.dss.truth(yudina)!.contact);
    expect(historyOf(db).recentlyDeleted(Date.now()).map((d) => d.contact.fn)).toEqual(['Emil Gilels']);
  });

  it('more records than one statement takes: every one has its entry, in the order of the plan; none for a record the truth did not hold', () => {
    const dss = Dss.open(path.join(tmpDir(), 'concord.sqlite'));
    try {
      const db = dss.db;
      const count = 10_001 + 7;
      const contact = (i: number) => JSON.stringify({ fn: `P ${i}`, n: [], tel: [], email: [], adr: [], org: '', title: '', bday: '', note: '', url: [], extra: [] });
      const put = db.prepare("INSERT INTO truth (guid, seq, contact, prov, sort_name, updated_at) VALUES (?, ?, ?, '{}', ?, 0)");
      const guid = (i: number) => `g${String(i).padStart(6, '0')}`;
      db.transaction(() => {
        for (let i = 0; i < count; i++) put.run(guid(i), i + 1, contact(i), `p ${i}`);
      })();
      const ov = new Overlay(dss, 9);
      // Updated in reverse order, each by one device; two records deleted; one "update"
      // of a record the DSS does not hold and one deletion of another (no version before).
      const order: string[] = [];
      for (let i = count - 1; i >= 2; i--) {
        const r: TruthRecord = { guid: guid(i), seq: i + 1, contact: { ...(JSON.parse(contact(i)) as Contact), note: 'x' }, prov: { note: { spid: i % 2 ? 'phone' : 'laptop', run: 9 } } };
        ov.putTruth(r);
        order.push(guid(i));
      }
      ov.putTruth({ guid: 'nowhere', seq: 1, contact: JSON.parse(contact(0)) as Contact, prov: { note: { spid: 'phone', run: 9 } } });
      ov.deleteTruth(guid(0), 'phone');
      ov.deleteTruth(guid(1), 'laptop');
      ov.truthDeletes.add('gone-already');
      db.transaction(() => historyOf(db).record(ov, 9, 1234))();

      const rows = db.prepare('SELECT guid, kind, before, writers, at FROM history WHERE run_id = 9 ORDER BY id').all() as (Row & { at: number })[];
      expect(rows).toHaveLength(count);
      expect(rows.slice(0, -2).map((r) => r.guid)).toEqual(order);
      expect(rows.slice(-2).map((r) => [r.guid, r.kind, JSON.parse(r.writers)])).toEqual([
        [guid(0), 'deleted', { '*': 'phone' }],
        [guid(1), 'deleted', { '*': 'laptop' }],
      ]);
      // (Compared whole: one expect per row takes seconds.)
      const who = (i: number) => (i % 2 ? 'phone' : 'laptop');
      expect(rows.map((r) => [r.before, r.at])).toEqual(rows.map((r) => [contact(Number(r.guid.slice(1))), 1234]));
      const updated = rows.filter((r) => r.kind === 'updated');
      expect(updated).toHaveLength(count - 2);
      expect(updated.map((r) => r.writers)).toEqual(updated.map((r) => JSON.stringify({ note: who(Number(r.guid.slice(1))) })));
    } finally {
      dss.close();
    }
  });
});
