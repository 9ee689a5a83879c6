// `concord serve`: its arguments, and a real run with the SyncML LAN endpoint on, the server
// in its worker thread answering through the hub on the main thread, and a clean stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../../main/app/serve';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

describe('concord serve arguments', () => {
  it('keeps LAN sync off unless a port is given; checks the LAN options', () => {
    const plain = parseServeArgs(['serve', '--data', '/tmp/x']);
    expect(plain).toMatchObject({ lanPort: null, demo: false, demoPhone: false, phones: true, inProcess: false });
    expect(parseServeArgs(['--lan-port', '8080', '--lan-host', '192.168.1.5'])).toMatchObject({ lanPort: 8080, lanHost: '192.168.1.5' });
    expect(parseServeArgs(['--lan-port', '8080'])).toMatchObject({ lanHost: '0.0.0.0' });
    expect(parseServeArgs(['--lan-port', 'x'])).toMatch(/--lan-port must be a number/);
    expect(parseServeArgs(['--lan-port', '70000'])).toMatch(/--lan-port must be a number/);
    expect(parseServeArgs(['--lan-host', '0.0.0.0'])).toMatch(/--lan-host needs --lan-port/);
    expect(parseServeArgs(['--demo-phone'])).toMatch(/--demo-phone needs --demo/);
    expect(parseServeArgs(['--demo', '--demo-phone', '--no-phones'])).toMatchObject({ demo: true, demoPhone: true, phones: false });
    expect(parseServeArgs(['--lan-port'])).toMatch(/needs a value/);
    expect(parseServeArgs(['--lan-port', '8080', '--lan-timeout', '30'])).toMatchObject({ lanTimeoutS: 30 });
    expect(parseServeArgs(['--lan-timeout', '30'])).toMatch(/--lan-timeout needs --lan-port/);
    expect(parseServeArgs(['--lan-port', '8080', '--lan-timeout', '0'])).toMatch(/--lan-timeout must be/);
  });
});

let child: ChildProcess | null = null;
const dirs: string[] = [];
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('concord serve --lan-port', () => {
  it('prints the SyncML URL, pairs a SyncML client through the API, and stops cleanly', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'concord-app-serve-'));
    dirs.push(dataDir);
    child = spawn(process.execPath, ['bin/run-ts.mjs', 'main/app/serve.ts', 'serve', '--data', dataDir, '--port', '0', '--lan-port', '0', '--lan-host', '127.0.0.1', '--no-phones'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const end = Date.now() + 90_000;
    while (!/SyncML URL: \S+/.test(out) || !/running at \S+/.test(out) || !/Data: /.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no URLs printed:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hubUrl = new URL(/running at (\S+)/.exec(out)![1]!);
    const lanUrl = /SyncML URL: (\S+)/.exec(out)![1]!;
    expect(lanUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/syncml$/);
    expect(await (await fetch(lanUrl)).text()).toMatch(/Concord SyncML server/);
    // The same endpoint over HTTPS, with the certificate's fingerprint to compare.
    expect(out).toMatch(/HTTPS: https:\/\/127\.0\.0\.1:\d+\/syncml \(certificate SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}:/);

    const token = hubUrl.searchParams.get('token')!;
    const call = async (channel: string, args: unknown) => {
      const r = await fetch(`${hubUrl.origin}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(args) });
      return (await r.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
    };
    expect(await call('app:info', {})).toMatchObject({ ok: true, value: { lanUrl } });
    expect(await call('devices:pairSyncml', { name: 'Laptop', user: 'bob' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const paired = await call('devices:pairSyncml', { name: 'Laptop', user: 'bob', password: 'pw' });
    expect(paired.ok).toBe(true);
    // The cached device list was dropped by the write: the new device is there, on the LAN.
    const list = (await call('devices:list', {})).value as { name: string; link: string; kind: string }[];
    expect(list.find((d) => d.name === 'Laptop')).toMatchObject({ kind: 'syncml', link: 'lan' });
    // An edit through the server thread reaches the hub and comes back in the list it serves.
    expect((await call('contacts:add', { contact: { fn: 'Anna Berg' } })).ok).toBe(true);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = (await call('contacts:list', { offset: 0, limit: 10, query: 'anna' })).value as { total: number };
      if (page.total === 1) break;
      if (Date.now() > deadline) throw new Error('the added contact never appeared in the list');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await call('contacts:list', { offset: -1, limit: 10 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/Concord hub stopped/);
    // The LAN endpoint is closed with it.
    await expect(fetch(lanUrl)).rejects.toThrow();
  }, 120_000);
});
