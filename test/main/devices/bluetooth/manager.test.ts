// The Bluetooth devices paired with this computer, as the app sees them (bluez5 and
// bluez5-obex on a private bus): what Concord can do with each, pairing a PBAP phone in one
// click, syncing by itself when it comes in range, and leaving range mid-pull.
import { describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../../../../main/devices/simulated/device';
import { bluetoothFixture, bluezMock, havePeers, obexMock, type TransferRequest } from '../../../lib/bluez';
import { nextRun } from '../../../lib/hubs';
import { makePhonebook, phonebookVcf } from './phonebook';

const ANNA = '11:22:33:44:55:66';
const NOKIA = '22:33:44:55:66:77';
const HEADSET = '33:44:55:66:77:88';

describe.skipIf(!havePeers())('Bluetooth devices as sync points (bluez5 + bluez5-obex)', () => {
  const fx = bluetoothFixture('bt-test', { bluez: true, obex: true });

  it('lists what it can do with each device, pairs a PBAP phone in one click, syncs it when it comes in range, and uses nothing of a pull cut by leaving range', async () => {
    const m = bluezMock(fx.pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.pairedDevice('hci0', ANNA, 'Anna Pixel');
    await m.pairedDevice('hci0', NOKIA, 'Nokia 6310i', { uuids: ['00001101-0000-1000-8000-00805f9b34fb', '00001103-0000-1000-8000-00805f9b34fb'], deviceClass: 0x520204 });
    await m.pairedDevice('hci0', HEADSET, 'Headset', { uuids: ['0000110b-0000-1000-8000-00805f9b34fb'], deviceClass: 0x240404 });
    await m.addDevice('hci0', '44:55:66:77:88:99', 'Stranger'); // not paired: not listed

    let phone = makePhonebook(30);
    let cutNext = false;
    const o = obexMock(fx.pb.bus);
    await o.onTransfer(async (t: TransferRequest) => {
      const vcf = phonebookVcf(t.location === 'sim1' ? [] : phone);
      if (cutNext && t.location === 'int') {
        await m.disconnectDevice('hci0', ANNA); // out of range mid-pull
        await o.failHalfway(t, vcf);
      } else await o.complete(t, vcf);
    });

    const hub = fx.openHub();
    const bt = await fx.startManager(hub);
    const s = bt.status();
    expect(s.available).toBe(true);
    const by = new Map(s.devices.map((d) => [d.name, d]));
    expect([...by.keys()].sort()).toEqual(['Anna Pixel', 'Headset', 'Nokia 6310i']);
    expect(by.get('Anna Pixel')).toMatchObject({ syncAs: 'pbap', profiles: ['object-push', 'phonebook'], spid: null, connected: false });
    expect(by.get('Nokia 6310i')).toMatchObject({ syncAs: 'serial', profiles: ['serial', 'dialup'], kind: 'phone' });
    expect(by.get('Headset')).toMatchObject({ syncAs: null, kind: 'audio' });
    expect(by.get('Headset')!.can).toMatch(/no profile/);
    await expect(bt.pair(HEADSET, true)).rejects.toThrow(/no profile/);

    // One click: paired as a read-only sync point and read at once.
    const first = nextRun(hub);
    const spid = await bt.pair(ANNA, true);
    expect(spid).toBe(`bt:${ANNA}`);
    expect(hub.device(spid)).toMatchObject({ kind: 'pbap', changeTracking: 'snapshot', link: 'bluetooth', autoSync: true });
    expect(hub.device(spid)!.config.readOnly).toBe(true);
    const r1 = await first;
    expect(r1.counts[spid]!.in.add).toBe(30);
    expect(hub.contacts().length).toBe(30);
    expect(bt.status().devices.find((d) => d.address === ANNA)!.spid).toBe(spid);

    // Read-only: a contact from elsewhere is never planned for the phone.
    expect(hub.device(spid)!.readOnly).toBe(true);
    hub.pairDevice({ spid: 'laptop', name: 'Laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(new SimulatedDevice({ spid: 'laptop', changeTracking: 'log', initial: [{ fn: 'Only On The Laptop', tel: [{ type: 'cell', value: '+447700900001' }] }] }));
    const both = await hub.sync();
    expect(both.counts[spid]).toMatchObject({ pending: 0, out: { add: 0, update: 0, delete: 0 } });
    expect(both.counts[spid]!.error).toBeUndefined();
    expect(hub.pendingOf(spid)).toEqual([]);
    hub.detach('laptop');

    // Edited on the phone; it comes in range: synced by itself.
    phone = phone.map((c, i) => (i === 5 ? { ...c, tels: [{ type: 'CELL', value: '+44 7700 555555' }] } : c));
    const second = nextRun(hub);
    await m.connectDevice('hci0', ANNA);
    const r2 = await second;
    expect(r2.counts[spid]!.in).toEqual({ add: 0, update: 1, delete: 0 });

    // Leaves range in the middle of the next pull: nothing of it is used.
    await m.disconnectDevice('hci0', ANNA);
    phone = phone.slice(10);
    cutNext = true;
    const before = JSON.stringify(hub.contacts());
    const third = nextRun(hub);
    await m.connectDevice('hci0', ANNA);
    const r3 = await third;
    expect(r3.counts[spid]!.error).toMatch(/lost/);
    expect(JSON.stringify(hub.contacts())).toBe(before);

    // Back in range: the 10 deletions arrive, and only they.
    cutNext = false;
    const fourth = nextRun(hub);
    await m.connectDevice('hci0', ANNA);
    expect((await fourth).counts[spid]!.in).toEqual({ add: 0, update: 0, delete: 10 });
    expect(hub.contacts().filter((c) => c.contact.fn !== 'Only On The Laptop').length).toBe(20);
  });
});
