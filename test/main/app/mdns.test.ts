// DNS-SD over multicast DNS, on the wire: a separate multicast-dns querier on this machine
// asks for `_carddav._tcp.local` and `_carddavs._tcp.local` and reads the PTR, SRV and TXT
// records the hub announces; after stop it sees a goodbye (TTL 0) and no answer.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import makeMdns from 'multicast-dns';
import { afterEach, expect, it } from 'vitest';
import { startHost } from '../../../main/app/host';
import { advertiseCarddav, type CarddavAdvert } from '../../../main/app/mdns';

let advert: CarddavAdvert | null = null;
let querier: ReturnType<typeof makeMdns> | null = null;
afterEach(async () => {
  await advert?.stop();
  advert = null;
  await new Promise<void>((r) => (querier ? querier.destroy(() => r()) : r()));
  querier = null;
});

/** The fields of a record this test reads (dns-packet's union, less its OPT record). */
interface Answer {
  type: string;
  name: string;
  ttl?: number;
  data?: unknown;
}

const txtOf = (a: Answer | undefined) => (a && a.type === 'TXT' ? (a.data as Buffer[]).map((b) => b.toString()) : undefined);

/** Asks `question` (PTR) until the answers hold `want`, or the time is up. */
async function ask(q: ReturnType<typeof makeMdns>, name: string, until: (records: Answer[]) => boolean, ms = 5000): Promise<Answer[]> {
  const seen: Answer[] = [];
  const onResponse = (res: { answers: Answer[]; additionals: Answer[] }) => seen.push(...res.answers, ...res.additionals);
  q.on('response', onResponse);
  try {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      q.query({ questions: [{ name, type: 'PTR' }] });
      await new Promise((r) => setTimeout(r, 250));
      if (until(seen)) break;
    }
    return seen;
  } finally {
    q.removeListener('response', onResponse);
  }
}

it('announces _carddav._tcp and _carddavs._tcp with the path, and withdraws them when stopped', async () => {
  const name = `Concord test ${process.pid}`;
  advert = advertiseCarddav({ name, port: 18642, httpsPort: 18643, path: '/dav/', host: 'concord-test.local' });
  querier = makeMdns();
  const instance = `${name}._carddav._tcp.local`;
  const secure = `${name}._carddavs._tcp.local`;
  const got = await ask(querier, '_carddav._tcp.local', (rs) => rs.some((r) => r.type === 'SRV' && r.name === instance));
  const ptr = got.find((r) => r.type === 'PTR' && r.name === '_carddav._tcp.local');
  expect(ptr?.data).toBe(instance);
  expect(got.find((r) => r.type === 'SRV' && r.name === instance)?.data).toMatchObject({ port: 18642, target: 'concord-test.local' });
  expect(txtOf(got.find((r) => r.type === 'TXT' && r.name === instance))).toEqual(['path=/dav/']);

  const gotS = await ask(querier, '_carddavs._tcp.local', (rs) => rs.some((r) => r.type === 'SRV' && r.name === secure));
  expect(gotS.find((r) => r.type === 'SRV' && r.name === secure)?.data).toMatchObject({ port: 18643 });
  expect(txtOf(gotS.find((r) => r.type === 'TXT' && r.name === secure))).toEqual(['path=/dav/']);

  // Stopped: a goodbye, then silence.
  const goodbyes: Answer[] = [];
  querier.on('response', (res: { answers: Answer[] }) => goodbyes.push(...res.answers.filter((a) => a.ttl === 0)));
  await advert.stop();
  advert = null;
  for (let i = 0; i < 20 && !goodbyes.some((a) => a.type === 'PTR' && a.data === instance); i++) await new Promise((r) => setTimeout(r, 100));
  expect(goodbyes.some((a) => a.type === 'PTR' && a.data === instance)).toBe(true);
  const after = await ask(querier, '_carddav._tcp.local', () => false, 1000);
  expect(after.filter((r) => r.type === 'PTR' && r.data === instance && (r.ttl ?? 0) > 0)).toEqual([]);
});

it('announces only _carddav._tcp without HTTPS', () => {
  advert = advertiseCarddav({ port: 18644, httpsPort: null });
  expect(advert.services).toEqual([{ type: '_carddav._tcp', port: 18644, txt: { path: '/dav/' } }]);
});

it('is announced by the hub while LAN sync is on, on its HTTP and HTTPS ports, and not while off', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'concord-mdns-'));
  const host = await startHost({ dataDir: dir, phones: false, bluetooth: false, lanHost: '127.0.0.1', lanHttpsPort: 0, log: () => undefined });
  try {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const on = await host.api.call('settings:setLan', { on: true, port });
    const lan = (on as { value: { lan: { port: number; httpsUrl: string } } }).value.lan;
    const httpsPort = Number(new URL(lan.httpsUrl).port);
    expect(host.lan.announced()).toEqual([
      { type: '_carddav._tcp', port: lan.port, txt: { path: '/dav/' } },
      { type: '_carddavs._tcp', port: httpsPort, txt: { path: '/dav/' } },
    ]);
    querier = makeMdns();
    const got = await ask(querier, '_carddavs._tcp.local', (rs) => rs.some((r) => r.type === 'SRV' && (r.data as { port: number }).port === httpsPort));
    expect(got.some((r) => r.type === 'SRV' && (r.data as { port: number }).port === httpsPort)).toBe(true);
    await host.api.call('settings:setLan', { on: false });
    expect(host.lan.announced()).toEqual([]);
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
