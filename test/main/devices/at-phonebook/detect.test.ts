// Sync on connect: a phone that appears on a port is identified by its IMEI.
import { describe, expect, it } from 'vitest';
import { watchPhones, type DetectedPhone } from '../../../../main/devices/at-phonebook/detect';
import { SimHandset } from '../../../../main/devices/at-phonebook/simulator';
import { haveSocat, ptyPair, socatMissing, tempDir } from './helpers';

describe.skipIf(!haveSocat)(`phone detection ${socatMissing}`, () => {
  it('identifies a phone by IMEI on arrival, on any port, and reports it gone', async () => {
    const dir = tempDir();
    const sim = new SimHandset({ imei: '490154203237518', imsi: '001010000000042', fill: { SM: 3 } });
    const hosts = [`${dir}/a-host`, `${dir}/b-host`];
    const w = watchPhones({ intervalMs: 100, extraPaths: hosts, useSerialportList: false, useUsbEvents: false });
    const seen: DetectedPhone[] = [];
    const gone: (string | null)[] = [];
    w.on('phone', (p) => seen.push(p));
    w.on('gone', (_path, spid) => gone.push(spid));
    const wait = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    for (const name of ['a', 'b']) {
      const pair = await ptyPair(dir, name);
      sim.serve(pair.phoneEnd);
      await wait(() => seen.length === (name === 'a' ? 1 : 2));
      await pair.kill();
      await sim.whenDetached();
      await wait(() => gone.length === (name === 'a' ? 1 : 2));
    }
    w.stop();
    expect(seen.map((p) => p.spid)).toEqual(['imei:490154203237518', 'imei:490154203237518']);
    expect(seen.map((p) => p.path)).toEqual(hosts);
    expect(seen[0]!.pairing).toMatchObject({
      kind: 'at-phonebook',
      changeTracking: 'snapshot',
      capacity: { fields: ['fn', 'tel'], maxNameLength: 12, maxEntries: 1250 },
      config: { imei: '490154203237518', imsi: '001010000000042', storages: ['SM', 'ME'] },
    });
    expect(gone).toEqual(['imei:490154203237518', 'imei:490154203237518']);
  });
});
