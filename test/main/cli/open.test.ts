// The UI's address survives a restart (port and token kept in the data folder), a new
// token is made on request and shuts the old one out, and `concord open` finds the running
// hub's address.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { uiAccessFile } from '../../../main/app/ui-access';
import { openerFor } from '../../../main/cli/open';
import { serveHub, type Served } from '../../lib/serve';
import { runCli } from './run';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const serve = (dataDir: string, ...more: string[]): Promise<Served> => serveHub(['--data', dataDir, '--no-phones', ...more]);

const info = async (url: string, token: string) =>
  (await fetch(`${new URL(url).origin}/api/app:info`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).status;

describe('the UI\'s address', () => {
  it('stays the same across restarts, changes its token on request, and concord open finds it', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-open-'));
    dirs.push(dataDir);
    expect(await runCli('open', '--data', dataDir, '--no-browser')).toMatchObject({ code: 1, err: expect.stringMatching(/the hub is not running on .*Start it with `concord serve --data /) });

    const first = await serve(dataDir);
    expect((statSync(uiAccessFile(dataDir)).mode & 0o777).toString(8)).toBe('600');
    const opened = await runCli('open', '--data', dataDir, '--no-browser');
    expect(opened).toMatchObject({ code: 0, out: `${first.url}\n` });
    expect(await first.stop()).toBe(0);
    expect((await runCli('open', '--data', dataDir, '--no-browser')).code).toBe(1);

    const second = await serve(dataDir);
    expect(second.url).toBe(first.url);
    const oldToken = new URL(first.url).searchParams.get('token')!;
    expect(await info(second.url, oldToken)).toBe(200);
    expect(await second.stop()).toBe(0);

    const third = await serve(dataDir, '--new-token');
    const url3 = new URL(third.url);
    expect(url3.port).toBe(new URL(first.url).port);
    expect(url3.searchParams.get('token')).not.toBe(oldToken);
    expect(third.output()).toMatch(/A new access token was made/);
    expect(await info(third.url, oldToken)).toBe(401);
    expect(await info(third.url, url3.searchParams.get('token')!)).toBe(200);
    expect((await runCli('open', '--data', dataDir, '--no-browser')).out).toBe(`${third.url}\n`);

    // A new token on request, while the hub runs: the old one is refused at once, a page's
    // WebSocket with it is closed, and the new address is kept and found by concord open.
    const token3 = url3.searchParams.get('token')!;
    const ws = new WebSocket(`ws://${url3.host}/ws?token=${token3}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const r = await fetch(`${url3.origin}/api/app:newToken`, { method: 'POST', headers: { authorization: `Bearer ${token3}`, 'content-type': 'application/json' }, body: '{}' });
    const { value } = (await r.json()) as { value: { url: string } };
    const url4 = new URL(value.url);
    expect(url4.port).toBe(url3.port);
    const token4 = url4.searchParams.get('token')!;
    expect(token4).not.toBe(token3);
    expect(await info(third.url, token3)).toBe(401);
    expect(await info(third.url, token4)).toBe(200);
    expect(await closed).toBe(4001);
    expect((await runCli('open', '--data', dataDir, '--no-browser')).out).toBe(`${url4.href}\n`);
    expect(await third.stop()).toBe(0);
    const fourth = await serve(dataDir);
    expect(fourth.url).toBe(url4.href);
    expect(await fourth.stop()).toBe(0); // stopped as soon as it said where it runs: cleanly
  }, 120_000);

  it('opens the address with the platform\'s opener', () => {
    expect(openerFor('linux')).toEqual(['xdg-open', []]);
    expect(openerFor('darwin')).toEqual(['open', []]);
    expect(openerFor('win32')).toEqual(['cmd', ['/c', 'start', '""']]);
  });
});
