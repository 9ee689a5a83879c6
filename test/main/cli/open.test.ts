// The UI's address survives a restart (port and token kept in the data folder), a new
// token is made on request and shuts the old one out, and `concord open` finds the running
// hub's address.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { uiAccessFile } from '../../../main/app/ui-access';
import { openerFor } from '../../../main/cli/open';
import { runCli } from './run';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(dataDir: string, ...more: string[]): Promise<{ url: string; out: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['bin/concord.mjs', 'serve', '--data', dataDir, '--no-phones', ...more], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const end = Date.now() + 60_000;
  while (!/running at \S+/.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`concord serve printed no URL:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: /running at (\S+)/.exec(out)![1]!,
    out: () => out,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

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
    expect(third.out()).toMatch(/A new access token was made/);
    expect(await info(third.url, oldToken)).toBe(401);
    expect(await info(third.url, url3.searchParams.get('token')!)).toBe(200);
    expect((await runCli('open', '--data', dataDir, '--no-browser')).out).toBe(`${third.url}\n`);
    expect(await third.stop()).toBe(0);
  }, 120_000);

  it('opens the address with the platform\'s opener', () => {
    expect(openerFor('linux')).toEqual(['xdg-open', []]);
    expect(openerFor('darwin')).toEqual(['open', []]);
    expect(openerFor('win32')).toEqual(['cmd', ['/c', 'start', '""']]);
  });
});
