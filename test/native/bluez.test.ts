// BlueZ over D-Bus against python-dbusmock's bluez5 template on a private bus: the adapters
// and paired devices with their profiles, a device appearing, connecting and going, and the
// plain line when there is no BlueZ at all.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BT_UUID, Bluez, type BluezState, type BtDevice } from '../../native/bluez';
import { bluezMock, havePeers, startPrivateBus, stopChild, type PrivateBus } from '../main/devices/bluetooth/dbus-mock';

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
  let pb: PrivateBus;
  let bz: Bluez | null = null;
  beforeEach(async () => {
    pb = await startPrivateBus();
  });
  afterEach(async () => {
    bz?.close();
    bz = null;
    await pb.stop();
  });

  it('lists the adapter and the paired devices with their profiles, and hears one appear, connect and go', async () => {
    await pb.startBluez();
    const m = bluezMock(pb.bus);
    await m.addAdapter('hci0', 'desk');
    await m.addDevice('hci0', '11:22:33:44:55:66', 'Anna Pixel');
    await m.pairDevice('hci0', '11:22:33:44:55:66', ANDROID);
    await m.addDevice('hci0', '22:33:44:55:66:77', 'Old Nokia');
    await m.pairDevice('hci0', '22:33:44:55:66:77', ANDROID);
    await m.setDevice('hci0', '22:33:44:55:66:77', { uuids: [BT_UUID.serialPort, BT_UUID.dialupNetworking, BT_UUID.obexObjectPush], deviceClass: 0x5a020c });
    await m.addDevice('hci0', '33:44:55:66:77:88', 'Headphones'); // seen, never paired

    bz = await Bluez.open({ busAddress: pb.address });
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
    await m.addDevice('hci0', '44:55:66:77:88:99', 'Zoë iPhone');
    await m.pairDevice('hci0', '44:55:66:77:88:99', ANDROID);
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
    bz = await Bluez.open({ busAddress: pb.address });
    expect(bz.state().unavailable).toBe('no-service');
    expect(bz.state().reason).toMatch(/Bluetooth service/);

    const up = until<BluezState>(bz, 'changed', (st) => st.unavailable === 'no-adapter');
    const child = await pb.startBluez();
    expect((await up).reason).toMatch(/No Bluetooth adapter/);

    const m = bluezMock(pb.bus);
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
    const nobus = await Bluez.open({ busAddress: `unix:path=${pb.dir}/no-such-bus` });
    expect(nobus.state().unavailable).toBe('no-bus');
    nobus.close();
  });
});
