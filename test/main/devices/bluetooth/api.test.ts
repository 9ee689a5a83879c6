// bluetooth:list, bluetooth:pair and the bluetooth:changed event through the API handlers,
// with the app's Bluetooth manager on the bluez5 mock, and without one.
import { beforeEach, describe, expect, it } from 'vitest';
import type { BluetoothStatus } from '../../../../main/api/contract';
import { Api } from '../../../../main/api/handlers';
import type { Hub } from '../../../../main/hub/hub';
import { bluetoothFixture, bluezMock, havePeers } from '../../../lib/bluez';
import { hubFixture } from '../../../lib/hubs';

const { tmpDir, openHub } = hubFixture('bt-api');
let dir: string;
let hub: Hub;
beforeEach(() => {
  dir = tmpDir();
  hub = openHub(dir);
});

const noPhones = { lanUrl: () => null, discovered: () => [], pairPhone: async () => undefined, ignorePhone: () => undefined, onDiscovered: () => () => undefined };

describe('bluetooth requests', () => {
  it('answer plainly where Bluetooth is not watched, and refuse an address that is not one', async () => {
    const api = new Api({ hub, dataDir: dir, devices: noPhones });
    expect(await api.call('bluetooth:list', {})).toMatchObject({ ok: true, value: { available: false, devices: [] } });
    expect(await api.call('bluetooth:pair', { address: 'not-an-address-xx', autoSync: true })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await api.call('bluetooth:pair', { address: '11:22:33:44:55:66', autoSync: true })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    api.dispose();
  });

  describe.skipIf(!havePeers())('with BlueZ (bluez5 mock)', () => {
    const fx = bluetoothFixture('bt-api-bus', { bluez: true });

    it('lists, sends bluetooth:changed as devices come, and says why a device cannot be paired', async () => {
      const bt = await fx.startManager(hub);
      const api = new Api({ hub, dataDir: dir, devices: { ...noPhones, bluetooth: { status: () => bt.status(), pair: (a, s) => bt.pair(a, s), onChanged: (fn) => bt.onChanged(fn) } } });
      const events: BluetoothStatus[] = [];
      api.on((event, payload) => {
        if (event === 'bluetooth:changed') events.push(payload as BluetoothStatus);
      });
      expect(await api.call('bluetooth:list', {})).toMatchObject({ ok: true, value: { available: false, reason: expect.stringMatching(/No Bluetooth adapter/) } });
      const m = bluezMock(fx.pb.bus);
      await m.addAdapter('hci0', 'desk');
      await m.pairedDevice('hci0', '11:22:33:44:55:66', 'Headset', { uuids: ['0000110b-0000-1000-8000-00805f9b34fb'] });
      await expect.poll(() => events.at(-1)?.devices[0]?.profiles).toEqual([]);
      expect(events.at(-1)).toMatchObject({ available: true, devices: [{ name: 'Headset', syncAs: null }] });
      const refused = await api.call('bluetooth:pair', { address: '11:22:33:44:55:66', autoSync: false });
      expect(refused).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/no profile Concord can sync/) } });
      const unknown = await api.call('bluetooth:pair', { address: 'aa:bb:cc:dd:ee:ff', autoSync: false });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/not paired with this computer/) } });
      api.dispose();
    });
  });
});
