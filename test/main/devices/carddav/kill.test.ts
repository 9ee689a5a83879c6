// The hub SIGKILLed in the middle of a client's upload: every PUT it answered is in the book
// after a restart and reaches the truth once; the client re-sends the rest; nothing is lost,
// nothing doubled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startChild, type HubChild } from './child';
import { basic, card, dav } from './harness';

const A = basic('alice', 'secret1');
const children: HubChild[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'concord-carddav-kill-'));
afterAll(async () => {
  for (const c of children) await c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<HubChild> {
  const h = await startChild(path.join(dir, 'hub'), [['alice', 'secret1']]);
  children.push(h);
  return h;
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
  let killed = false;
  const worker = async (base: string) => {
    while (next < N) {
      const i = next++;
      try {
        await send(base, i);
      } catch {
        return; // the connection died with the hub
      }
      if (!killed && acked.size >= N / 2) {
        killed = true;
        h.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all([worker(h.base), worker(h.base), worker(h.base), worker(h.base)]);
  await h.kill();
  expect(acked.size).toBeGreaterThanOrEqual(N / 2);
  expect(acked.size).toBeLessThan(N);

  h = await start();
  for (const [i, body] of acked) expect((await dav(h.base, 'GET', `/dav/alice/contacts/k${i}.vcf`, { auth: A })).text).toBe(body);
  // The client re-sends what was not answered.
  for (let i = 0; i < N; i++) if (!acked.has(i)) await send(h.base, i);
  expect(acked.size).toBe(N);
  const truth = JSON.parse(await h.ask('export', 'TRUTH ')) as string[];
  expect(truth).toHaveLength(N);
  expect(new Set(truth).size).toBe(N);
  h.child.kill('SIGTERM');
}, 60_000);
