// Pairing a CardDAV account from the command line and through the API; re-pairing keeps
// the book and changes the password.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { findCommand } from '../../../../main/cli/main';
import { Api } from '../../../../main/api/handlers';
import { startSyncmlEndpoint } from '../../../../main/devices/syncml/http';
import { Hub } from '../../../../main/hub/hub';
import { basic, dav } from './harness';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('pairs from the command line; the account signs in with its password only', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-carddav-pair-'));
  dirs.push(dir);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const cmd = findCommand(['device', 'pair', 'carddav'])!;
  expect(cmd.words).toEqual(['device', 'pair', 'carddav']);
  expect(await cmd.run(['Mac', '--user', 'alice', '--password', 'first', '--data', dir])).toBe(0);
  expect(await cmd.run(['Mac', '--user', 'alice', '--password', 'second', '--data', dir])).toBe(0);
  await expect(cmd.run(['Mac', '--user', 'bad user', '--password', 'x1234', '--data', dir])).rejects.toThrow(/user name/);
  const hub = Hub.open({ dataDir: dir });
  try {
    const devices = hub.devices().filter((d) => d.kind === 'carddav');
    expect(devices).toHaveLength(1);
    expect(JSON.stringify(devices[0]!.config)).not.toContain('second');
    const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0 });
    try {
      const base = ep.url.replace(/\/syncml$/, '');
      expect(ep.carddavUrl).toBe(`${base}/dav/`);
      const body = '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>';
      expect((await dav(base, 'PROPFIND', '/dav/', { auth: basic('alice', 'first'), body })).status).toBe(401);
      expect((await dav(base, 'PROPFIND', '/dav/', { auth: basic('alice', 'second'), body })).status).toBe(207);
      // Through the API as the pairing UI does.
      const api = new Api({ hub, dataDir: dir, demo: false });
      const r = await api.call('devices:pairCarddav', { name: 'Phone', user: 'bob', password: 'pw-bob' });
      expect(r).toMatchObject({ ok: true, value: { kind: 'carddav', user: 'bob' } });
      await new Promise((res) => setTimeout(res, 50));
      expect((await dav(base, 'PROPFIND', '/dav/', { auth: basic('bob', 'pw-bob'), body })).status).toBe(207);
      api.dispose();
    } finally {
      await ep.close();
    }
  } finally {
    await hub.close();
  }
});
