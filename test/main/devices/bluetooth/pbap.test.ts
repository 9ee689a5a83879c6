// A phone read over PBAP through obexd (python-dbusmock's bluez5-obex template on a private
// bus), into the hub as a read-only snapshot sync point: 500 vCards reach the truth; a
// transfer that fails half-way changes nothing; a second pull with 3 edits and 1 deletion
// on the phone brings just those.
import { describe, expect, it } from 'vitest';
import { ObexClient } from '../../../../native/bluez-obex';
import { PbapSyncPoint } from '../../../../main/devices/pbap/sync-point';
import { bluetoothFixture, havePeers, obexMock, type TransferRequest } from '../../../lib/bluez';
import { makePhonebook, phonebookVcf, type PhoneCard } from './phonebook';

const ADDRESS = '11:22:33:44:55:66';
const SPID = `bt:${ADDRESS}`;
const SIM: PhoneCard[] = [
  { fn: 'Voicemail', n: ['', 'Voicemail'], tels: [{ type: 'CELL', value: '+44 7700 900123' }] },
  { fn: 'Mum', n: ['', 'Mum'], tels: [{ type: 'HOME', value: '+44 20 7946 0999' }] },
];

describe.skipIf(!havePeers())('PBAP through obexd (python-dbusmock bluez5-obex) into the hub', () => {
  const fx = bluetoothFixture('pbap-test', { obex: true });

  it('reads 500 vCards into the truth, ignores a pull cut half-way, then syncs just 3 edits and 1 deletion', async () => {
    let phone = makePhonebook(500);
    let fail = false;
    const m = obexMock(fx.pb.bus);
    const seen: TransferRequest[] = [];
    await m.onTransfer(async (t) => {
      seen.push(t);
      const vcf = phonebookVcf(t.location === 'sim1' ? SIM : phone);
      if (fail && t.location === 'int') await m.failHalfway(t, vcf);
      else await m.complete(t, vcf);
    });
    const obex = fx.onClose(await ObexClient.open({ busAddress: fx.pb.address, stallMs: 5000 }), (o) => o.close());
    const hub = fx.openHub();
    hub.pairDevice({ spid: SPID, name: 'Anna Pixel', kind: 'pbap', link: 'bluetooth', changeTracking: 'snapshot', capacity: {}, readOnly: true, config: { address: ADDRESS, readOnly: true } });
    const source = { pull: (locs: readonly ('int' | 'sim1')[]) => obex.pull(ADDRESS, locs) };
    let sp = new PbapSyncPoint({ spid: SPID, source });
    hub.attach(sp);

    // Pull 1: everything reaches the truth.
    const r1 = await hub.sync([SPID]);
    expect(r1.counts[SPID]!.error).toBeUndefined();
    expect(seen.map((t) => t.location)).toEqual(['int', 'sim1']);
    const truth = hub.contacts().map((c) => c.contact);
    expect(truth.length).toBe(500 + SIM.length);
    expect(r1.counts[SPID]!.in.add).toBe(502);
    expect(truth.map((c) => c.fn).sort()).toEqual([...phone, ...SIM].map((c) => c.fn).sort());
    const bjorn = truth.find((c) => c.fn === 'Björn Åström')!; // the 2.1 QUOTED-PRINTABLE card
    expect(bjorn.n.slice(0, 2)).toEqual(['Åström', 'Björn']);
    expect(bjorn.tel.map((t) => t.value)).toEqual(['+46701234567']);
    const withPhoto = truth.find((c) => c.fn === phone[1]!.fn)!;
    expect(withPhoto.extra.some((e) => e.name.toUpperCase() === 'PHOTO' && e.value.length > 50)).toBe(true);
    expect(truth.find((c) => c.fn === phone[21]!.fn)!.tel.length).toBe(3);
    expect(truth.every((c) => c.extra.every((e) => !/^X-(IRMC|BT)-/i.test(e.name)))).toBe(true);
    for (const re of [/[\u0370-\u03ff]/, /[\u0400-\u04ff]/, /[\u4e00-\u9fff]/, /[\uac00-\ud7af]/]) expect(truth.map((c) => c.fn).join(' ')).toMatch(re);
    hub.updateDeviceConfig(SPID, sp.config());

    // The phone's edits: 3 updates and 1 deletion.
    const edited = phone.map((c) => ({ ...c, tels: [...c.tels] }));
    edited[10] = { ...edited[10]!, tels: [{ type: 'CELL', value: '+44 7700 999010' }] };
    edited[20] = { ...edited[20]!, fn: 'Zoë 20 Renamed', n: ['Renamed', 'Zoë 20'] };
    edited[30] = { ...edited[30]!, email: 'new30@example.org' };
    const deleted = edited.splice(40, 1)[0]!;

    // Pull 2 is cut half-way: nothing changes.
    const before = JSON.stringify(hub.contacts());
    phone = edited;
    fail = true;
    const r2 = await hub.sync([SPID]);
    expect(r2.counts[SPID]!.error).toMatch(/lost/);
    expect(JSON.stringify(hub.contacts())).toBe(before);

    // Pull 3, in range again, after a restart (a new sync point from the saved index).
    fail = false;
    hub.detach(SPID);
    sp = new PbapSyncPoint({ spid: SPID, source, index: hub.device(SPID)!.config.index as never });
    hub.attach(sp);
    const r3 = await hub.sync([SPID]);
    expect(r3.counts[SPID]!.error).toBeUndefined();
    expect(r3.counts[SPID]!.in).toEqual({ add: 0, update: 3, delete: 1 });
    const after = hub.contacts().map((c) => c.contact);
    expect(after.length).toBe(501);
    expect(after.find((c) => c.fn === edited[10]!.fn)!.tel.map((t) => t.value)).toEqual(['+447700999010']);
    expect(after.some((c) => c.fn === 'Zoë 20 Renamed')).toBe(true);
    expect(after.some((c) => c.fn === phone[20]!.fn && c.fn !== 'Zoë 20 Renamed' && c.fn === makePhonebook(500)[20]!.fn)).toBe(false);
    expect(after.find((c) => c.fn === edited[30]!.fn)!.email.map((e) => e.value)).toEqual(['new30@example.org']);
    expect(after.some((c) => c.fn === deleted.fn)).toBe(false);

    // And again: nothing.
    const r4 = await hub.sync([SPID]);
    expect(r4.counts[SPID]!.in).toEqual({ add: 0, update: 0, delete: 0 });
  });
});
