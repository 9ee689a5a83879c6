// The server thread's view of the hub (RemoteApi over a message port, host-port.ts on the
// other end): the contacts list from its own index, reads cached until the hub says they
// changed, writes passed through, errors as the in-process Api gives them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';
import type { ContactPage, DeviceStatus } from '../../../main/api/contract';
import { startHost, type HubHost } from '../../../main/app/host';
import { bindHost } from '../../../main/app/host-port';
import { RemoteApi } from '../../../main/app/remote-api';

let host: HubHost | null = null;
let remote: RemoteApi | null = null;
let channel: MessageChannel | null = null;
let dir = '';
afterEach(async () => {
  remote?.dispose();
  channel?.port1.close();
  channel?.port2.close();
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, f: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

it('answers like the in-process Api: lists and searches, sees writes, refuses bad requests', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'concord-app-remote-'));
  // LAN sync on (pairing a SyncML client needs it), on loopback.
  host = await startHost({ dataDir: dir, phones: false, lan: { host: '127.0.0.1', port: 0 }, log: () => undefined });
  channel = new MessageChannel();
  bindHost(host, channel.port1);
  remote = new RemoteApi(channel.port2);
  const events: string[] = [];
  remote.on((event, payload) => events.push(`${event}:${typeof payload === 'string' ? payload : ''}`));

  const list = async (query?: string) => {
    const r = await remote!.call('contacts:list', { offset: 0, limit: 10, ...(query ? { query } : {}) });
    if (!r.ok) throw new Error(r.error.message);
    return r.value as ContactPage;
  };
  expect((await list()).total).toBe(0);
  expect(await remote.call('contacts:add', { contact: { fn: 'Anna Berg', tel: [{ type: 'cell', value: '07700 900123' }] } })).toMatchObject({ ok: true });
  await until('the contact to be listed', async () => (await list()).total === 1);
  expect((await list('0044 7700 900123')).rows.map((r) => r.name)).toEqual(['Anna Berg']);
  expect(events).toContain('hub:changed:contacts');

  // A cached read is dropped by a write that changes it.
  const devices = async () => ((await remote!.call('devices:list', {})) as { value: DeviceStatus[] }).value;
  expect((await devices()).map((d) => d.kind)).toEqual(['editor']);
  expect(await remote.call('devices:pairSyncml', { name: 'Laptop', user: 'ann', password: 'pw' })).toMatchObject({ ok: true });
  expect((await devices()).map((d) => d.kind).sort()).toEqual(['editor', 'syncml']);

  expect(await remote.call('contacts:list', { offset: 0, limit: 5000 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  expect(await remote.call('nope:nothing', {})).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
  expect(await remote.call('contacts:get', { guid: 'missing' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  expect(await remote.call('app:info', {})).toMatchObject({ ok: true, value: { running: false, lanUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/syncml$/) } });

  // After the hub has gone, requests are answered 'closed', never left hanging.
  remote.dispose();
  expect(await remote.call('devices:sync', { spid: 'x' })).toMatchObject({ ok: false, error: { code: 'closed' } });
});
