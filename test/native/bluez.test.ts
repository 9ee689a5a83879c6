// BlueZ over D-Bus against python-dbusmock's bluez5 template on a private bus: the adapters
// and paired devices with their profiles, a device appearing, connecting and going, and the
// plain line when there is no BlueZ at all.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BT_UUID, Bluez, usableAddress, type BluezState, type BtDevice } from '../../native/bluez';
import { bluetoothFixture, bluezMock, havePeers, stopChild } from '../lib/bluez';

const ANDROID = 5898764; // a phone's class of device (major class 2)

function until<T>(b: Bluez, event: 'changed' | 'connected' | 'disconnected' | 'removed', pred: (x: T) => boolean, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in time`)), ms);
    const fn = (x: T) => {
      if (!pred(x)) return;
      clearTimeout(timer);
      b.off(event, fn);
      resolve(x);
    };
    b.on(event, fn);
  });
}

describe.skipIf(!havePeers())('BlueZ over D-Bus (python-dbusmock bluez5)', () => {
  const fx = bluetoothFixture('bluez');

  it('lists the adapter and the paired devices with their profiles, and hears one appear, connect and go', async () => {
    await fx.pb.startBluez();
    const m = bluezMock(fx.pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.pairedDevice('hci0', '11:22:33:44:55:66', 'Anna Pixel', { pairClass: ANDROID });
    await m.pairedDevice('hci0', '22:33:44:55:66:77', 'Old Nokia', { pairClass: ANDROID, uuids: [BT_UUID.serialPort, BT_UUID.dialupNetworking, BT_UUID.obexObjectPush], deviceClass: 0x5a020c });
    await m.addDevice('hci0', '33:44:55:66:77:88', 'Headphones'); // seen, never paired

    const bz = fx.onClose(await Bluez.open({ busAddress: fx.pb.address }), (b) => b.close());
    const s = bz.state();
    expect(s.unavailable).toBeNull();
    expect(s.adapters).toEqual([{ path: '/org/bluez/hci0', address: '00:01:02:03:04:05', name: 'desk', powered: true }]);
    const byName = new Map(s.devices.map((d) => [d.name, d]));
    expect(byName.get('Anna Pixel')!.paired).toBe(true);
    expect(byName.get('Anna Pixel')!.uuids).toContain(BT_UUID.pbapServer);
    expect(byName.get('Anna Pixel')!.uuids).toContain(BT_UUID.obexObjectPush);
    expect(byName.get('Anna Pixel')!.uuids).not.toContain(BT_UUID.serialPort);
    expect(byName.get('Old Nokia')!.uuids).toEqual([BT_UUID.serialPort, BT_UUID.dialupNetworking, BT_UUID.obexObjectPush]);
    expect(byName.get('Old Nokia')!.deviceClass).toBe(0x5a020c);
    expect(byName.get('Headphones')!.paired).toBe(false);
    expect(byName.get('Anna Pixel')!.connected).toBe(false);

    // One appears and is paired.
    const paired = until<BluezState>(bz, 'changed', (st) => st.devices.some((d) => d.name === 'Zoë iPhone' && d.paired));
    await m.pairedDevice('hci0', '44:55:66:77:88:99', 'Zoë iPhone', { pairClass: ANDROID });
    const st = await paired;
    expect(st.devices.find((d) => d.name === 'Zoë iPhone')!.uuids).toContain(BT_UUID.pbapServer);

    // Comes in range (connects), leaves range.
    const connected = until<BtDevice>(bz, 'connected', (d) => d.address === '11:22:33:44:55:66');
    await m.connectDevice('hci0', '11:22:33:44:55:66');
    expect((await connected).name).toBe('Anna Pixel');
    expect(bz.device('11:22:33:44:55:66')!.connected).toBe(true);
    const left = until<BtDevice>(bz, 'disconnected', (d) => d.address === '11:22:33:44:55:66');
    await m.disconnectDevice('hci0', '11:22:33:44:55:66');
    await left;
    expect(bz.device('11:22:33:44:55:66')!.connected).toBe(false);

    // One goes (forgotten in the system settings).
    const removed = until<BtDevice>(bz, 'removed', (d) => d.address === '22:33:44:55:66:77');
    await m.removeDevice('hci0', '22:33:44:55:66:77');
    await removed;
    expect(bz.state().devices.map((d) => d.name)).not.toContain('Old Nokia');
  });

  it('says why when there is no BlueZ: the service stopped, then started, no adapter, another OS, no bus', async () => {
    const bz = fx.onClose(await Bluez.open({ busAddress: fx.pb.address }), (b) => b.close());
    expect(bz.state().unavailable).toBe('no-service');
    expect(bz.state().reason).toMatch(/Bluetooth service/);

    const up = until<BluezState>(bz, 'changed', (st) => st.unavailable === 'no-adapter');
    const child = await fx.pb.startBluez();
    expect((await up).reason).toMatch(/No Bluetooth adapter/);

    const m = bluezMock(fx.pb.bus);
    const adapter = until<BluezState>(bz, 'changed', (st) => st.devices.length === 1 && st.unavailable === null);
    await m.addAdapter('hci0', 'desk');
    await m.addDevice('hci0', '11:22:33:44:55:66', 'Anna Pixel');
    await adapter;

    const stopped = until<BluezState>(bz, 'changed', (st) => st.unavailable === 'no-service');
    await stopChild(child);
    expect((await stopped).devices).toEqual([]);

    const other = await Bluez.open({ platform: 'darwin' });
    expect(other.state().unavailable).toBe('platform');
    expect(other.state().reason).toMatch(/system settings/);
    other.close();
    const nobus = await Bluez.open({ busAddress: `unix:path=${fx.pb.dir}/no-such-bus` });
    expect(nobus.state().unavailable).toBe('no-bus');
    nobus.close();
  });
});

describe('bus addresses dbus-next can open', () => {
  it('takes a path or tcp address, and for an abstract-only session bus the runtime folder\'s socket', () => {
    expect(usableAddress('unix:abstract=/tmp/dbus-x,guid=1;unix:path=/run/user/1000/bus')).toBe('unix:path=/run/user/1000/bus');
    expect(usableAddress('tcp:host=127.0.0.1,port=5555')).toBe('tcp:host=127.0.0.1,port=5555');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-xdg-'));
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      process.env.XDG_RUNTIME_DIR = dir;
      expect(usableAddress('unix:abstract=/tmp/dbus-x,guid=1')).toBeNull();
      fs.writeFileSync(path.join(dir, 'bus'), '');
      expect(usableAddress('unix:abstract=/tmp/dbus-x,guid=1')).toBe(`unix:path=${dir}/bus`);
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
