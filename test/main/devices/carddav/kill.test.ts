// The hub SIGKILLed in the middle of a client's upload: every PUT it answered is in the book
// after a restart and reaches the truth once; the client re-sends the rest; nothing is lost,
// nothing doubled.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { basic, card, dav } from './harness';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hub-child.ts');
const A = basic('alice', 'secret1');
const children: ChildProcess[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-carddav-kill-'));
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ child: ChildProcess; base: string; line: () => Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path.join(dir, 'hub'), '0', 'alice', 'secret1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const waiters: ((l: string) => void)[] = [];
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const l = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const line = () => new Promise<string>((r) => (lines.length ? r(lines.shift()!) : waiters.push(r)));
  const ready = await line();
  if (!ready.startsWith('READY')) throw new Error(ready);
  return { child, base: ready.slice(6).trim(), line };
}

it('keeps every answered PUT across a SIGKILL and converges without duplicates', async () => {
  const N = 200;
  let h = await start();
  const acked = new Map<number, string>();
  const send = async (base: string, i: number) => {
    const body = card(`k${i}`, `Killed${i} Upload`, `+44 20 7946 ${String(2000 + i)}`);
    const r = await dav(base, 'PUT', `/dav/alice/contacts/k${i}.vcf`, { auth: A, body });
    if (r.status === 201 || r.status === 204) acked.set(i, body);
  };
  // Four clients' worth of concurrent uploads; the hub dies after about half.
  let next = 0;
  const worker = async (base: string) => {
    while (next < N) {
      const i = next++;
      try {
        await send(base, i);
      } catch {
        return; // the connection died with the hub
      }
      if (acked.size === N / 2) h.child.kill('SIGKILL');
    }
  };
  await Promise.all([worker(h.base), worker(h.base), worker(h.base), worker(h.base)]);
  await new Promise((r) => h.child.once('exit', r));
  expect(acked.size).toBeGreaterThanOrEqual(N / 2);
  expect(acked.size).toBeLessThan(N);

  h = await start();
  for (const [i, body] of acked) expect((await dav(h.base, 'GET', `/dav/alice/contacts/k${i}.vcf`, { auth: A })).text).toBe(body);
  // The client re-sends what was not answered.
  for (let i = 0; i < N; i++) if (!acked.has(i)) await send(h.base, i);
  expect(acked.size).toBe(N);
  h.child.stdin!.write('export\n');
  const truth = JSON.parse((await h.line()).replace(/^TRUTH /, '')) as string[];
  expect(truth).toHaveLength(N);
  expect(new Set(truth).size).toBe(N);
  h.child.kill('SIGTERM');
}, 60_000);
