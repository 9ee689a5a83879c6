// A serial port profile without root: Concord registers a BlueZ profile and connects it on
// the phone; the test's bluez5 template (bluez5_serial.py) answers as BlueZ does, calling
// Profile1.NewConnection with one end of a connected unix socket pair, and the AT handset
// simulator serves the other end. A full sync, then the phone hangs up in the middle of a
// push, and the next connection (it comes in range again) finishes the job.
import net from 'node:net';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SocketLink } from '../../../../native/rfcomm-link';
import { contactSignature, normalizeContact, type Contact } from '../../../../main/core/contact';
import { project } from '../../../../main/core/projection';
import { entriesToContacts } from '../../../../main/devices/at-phonebook/mapping';
import { SimHandset } from '../../../../main/devices/at-phonebook/simulator';
import { SimulatedDevice } from '../../../../main/devices/simulated/device';
import { bluetoothFixture, bluezMock, havePeers } from '../../../lib/bluez';
import { nextRun } from '../../../lib/hubs';

const NOKIA = '22:33:44:55:66:77';
const SPP = '00001101-0000-1000-8000-00805f9b34fb';
const REGION = 'GB';

function phoneHolds(h: SimHandset): string[] {
  const out: string[] = [];
  for (const st of ['SM', 'ME']) {
    const groups = entriesToContacts([...h.entries(st)].map(([index, e]) => ({ index, name: e.name, number: e.number })));
    for (const g of groups) out.push(contactSignature(normalizeContact(g.contact, REGION)));
  }
  return out.sort();
}

function laptopContacts(n: number): Partial<Contact>[] {
  return Array.from({ length: n }, (_, i) => ({ fn: `${['Ana', 'Bo', 'Cy', 'Di', 'Ed'][i % 5]} Lap ${i}`, tel: [{ type: 'cell', value: `+4479${String(i).padStart(8, '0')}` }] }));
}

describe.skipIf(!havePeers())('serial port profile over a BlueZ profile (NewConnection), AT handset on the far end', () => {
  const fx = bluetoothFixture('bt-serial');
  let handset: SimHandset;
  let connections = 0;
  beforeEach(async () => {
    const sock = path.join(fx.dir, 'phone.sock');
    const server = net.createServer((s) => {
      connections += 1;
      handset.attach(new SocketLink(`phone-${connections}`, s));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    fx.onClose(server, (x) => new Promise((r) => x.close(r)));
    // Dropped before the server closes (it waits for its connections).
    handset = fx.onClose(new SimHandset({ fill: { SM: 20, ME: 30 }, baud: 0 }), (h) => h.drop());
    await fx.pb.startBluez({ serialSocket: sock });
  });

  it('syncs fully, and a hang-up in the middle of a push is finished at the next connection', async () => {
    const m = bluezMock(fx.pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.pairedDevice('hci0', NOKIA, 'Nokia 6310i', { uuids: [SPP], deviceClass: 0x520204 });

    const hub = fx.openHub();
    const laptop = new SimulatedDevice({ spid: 'laptop', changeTracking: 'log', initial: laptopContacts(40) });
    hub.pairDevice({ spid: 'laptop', name: 'Laptop', kind: 'simulated', link: 'simulated', changeTracking: 'log' });
    hub.attach(laptop);
    expect((await hub.sync(['laptop'])).outcome).toBe('ok');

    const bt = await fx.startManager(hub, { timeoutMs: 2000 });
    expect(bt.status().devices[0]).toMatchObject({ name: 'Nokia 6310i', syncAs: 'serial', profiles: ['serial'] });

    // Paired in one click; the phone hangs up a few commands after it has stored 5 of the
    // laptop's 40 contacts.
    let armed = false;
    const off = hub.on('progress', (p) => {
      if (!armed && p.type === 'device-pushing' && p.spid.startsWith('imei:') && p.done >= 5) {
        armed = true;
        handset.faults.dropAfter = handset.commands + 3;
      }
    });
    const first = nextRun(hub, 30_000);
    const spid = await bt.pair(NOKIA, true);
    expect(spid).toBe(`imei:${handset.imei}`);
    expect(hub.device(spid)).toMatchObject({ kind: 'at-phonebook', link: 'bluetooth', autoSync: true });
    expect(hub.device(spid)!.config.btAddress).toBe(NOKIA);
    const r1 = await first;
    off();
    expect(armed).toBe(true);
    expect(r1.counts[spid]!.error).toMatch(/lost|closed/);
    expect(r1.counts[spid]!.pending).toBeGreaterThan(0);
    expect(r1.counts[spid]!.out.add).toBeGreaterThan(0);
    expect(bt.isAttached(spid)).toBe(false); // the channel closing detached it

    // In range again: connected by itself, and the pending actions are carried out.
    const second = nextRun(hub, 30_000);
    await m.connectDevice('hci0', NOKIA);
    const r2 = await second;
    expect(r2.counts[spid]!.error).toBeUndefined();
    expect(r2.counts[spid]!.pending).toBe(0);
    expect(connections).toBe(2);
    const truth = hub.contacts().map((c) => c.contact);
    const capacity = hub.device(spid)!.capacity;
    expect(phoneHolds(handset)).toEqual(truth.map((c) => contactSignature(project(c, capacity))).sort());
    expect(truth.length).toBeGreaterThanOrEqual(40 + 20);
    await hub.sync(['laptop']); // the phone's own contacts reach the laptop too
    expect(laptop.records().length).toBe(truth.length);

    // Nothing more to do.
    const r3 = await hub.sync([spid]);
    expect(r3.counts[spid]).toMatchObject({ in: { add: 0, update: 0, delete: 0 }, out: { add: 0, update: 0, delete: 0 }, pending: 0 });
  });
});
