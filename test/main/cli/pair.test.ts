// `concord device pair syncml|carddav` write the DSS: beside a running hub they refuse
// plainly and change nothing (the hub's UI pairs instead); with the folder free they pair and
// leave no lock behind.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lockFile } from '../../../main/app/folder-lock';
import { startHost } from '../../../main/app/host';
import { Hub } from '../../../main/hub/hub';
import { hubFixture } from '../../lib/hubs';
import { runCli } from './run';

const { tmpDir } = hubFixture('cli-pair');

const PAIRS = [
  ['device', 'pair', 'syncml', 'Laptop', '--user', 'bob', '--password', 'pw-bob'],
  ['device', 'pair', 'carddav', 'Mac', '--user', 'alice', '--password', 'pw-alice'],
];

async function pairedNames(dataDir: string): Promise<string[]> {
  const hub = Hub.open({ dataDir });
  try {
    return hub.devices().map((d) => d.name).sort();
  } finally {
    await hub.close();
  }
}

describe('concord device pair beside a running hub', () => {
  it('refuses while the hub owns the folder, changing nothing, and pairs once it has stopped', async () => {
    const data = tmpDir();
    const host = await startHost({ dataDir: data, phones: false, log: () => undefined });
    const before = host.hub.devices().map((d) => d.spid);
    const lock = readFileSync(lockFile(data), 'utf8');
    try {
      for (const argv of PAIRS) {
        const r = await runCli(...argv, '--data', data);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^concord device pair (syncml|carddav): the data folder .* is in use by a running Concord hub \(process \d+\)\. Stop it first .* or pair the device in its UI \(Devices → Add a device\)\.\n$/);
        expect(r.out).toBe('');
      }
      expect(host.hub.devices().map((d) => d.spid)).toEqual(before);
      expect(readFileSync(lockFile(data), 'utf8')).toBe(lock); // still the hub's
    } finally {
      await host.close();
    }
    const names = await pairedNames(data);
    expect(names).not.toContain('Laptop');
    expect(names).not.toContain('Mac');

    for (const argv of PAIRS) expect(await runCli(...argv, '--data', data)).toMatchObject({ code: 0, err: '' });
    expect(await pairedNames(data)).toEqual(expect.arrayContaining(['Laptop', 'Mac']));
    expect(existsSync(lockFile(data))).toBe(false);
  });
});
