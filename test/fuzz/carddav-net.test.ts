// Hostile requests at the hub's CardDAV server: CONCORD_FUZZ_N whole requests through
// CarddavService.handle (bodies, Depth, If-Match and If-None-Match, paths with traversal;
// the fuzzing account may change its own book, never another's), and a few hundred over
// one keep-alive HTTP connection as an account whose book must be the same afterwards.
// Each gets a 4xx or a valid answer (a 207 that parses), never a 5xx, never a throw.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { davHttpTarget, davRequestTarget, startDavFuzzHub, type DavFuzzHub } from './lib/carddav';
import { describeFailures, fuzzCount, fuzzTestSeed, runFuzz, summary } from './lib/harness';
import { keepAliveClient } from './lib/net';

const N = fuzzCount();
const HTTP_N = Math.max(50, Math.round(N / 16));

let h: DavFuzzHub;
beforeAll(async () => {
  h = await startDavFuzzHub();
});
afterAll(async () => {
  await h?.close();
});

describe('CardDAV server under hostile requests', () => {
  it(`${N} requests through CarddavService.handle: a 4xx or a valid answer, other books untouched`, async () => {
    const s = await runFuzz(davRequestTarget(h), { n: N, seed: fuzzTestSeed(909) });
    console.log(summary(s));
    expect(describeFailures(s)).toEqual([]);
  });

  it(`${HTTP_N} requests over one keep-alive HTTP connection: the book unchanged after the garbage`, async () => {
    const before = h.digest(['alice', 'bob']);
    const client = keepAliveClient(Number(new URL(h.ep.url).port));
    const accepted: Record<string, number> = {};
    try {
      const s = await runFuzz(davHttpTarget(h, client, accepted), { n: HTTP_N, seed: fuzzTestSeed(910) });
      console.log(summary(s));
      expect(describeFailures(s)).toEqual([]);
    } finally {
      client.close();
    }
    expect(accepted).toEqual({});
    expect(h.digest(['alice', 'bob']), 'a refused request changed a book').toBe(before);
    // The server still answers a well-formed request after it all.
    const ok = await fetch(`${h.ep.url.replace(/\/syncml$/, '')}/dav/alice/contacts/a.vcf`, { headers: { authorization: h.auth.alice! } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('FN:Mitsuko Uchida');
  });

  // Found by the HTTP fuzzer: a request target starting with `//` is read by the URL parser
  // as a host name; an invalid one (`//%EF%BF%BD/x`) made `new URL` throw inside the LAN
  // endpoint's request handler (main/devices/syncml/http.ts), an uncaught exception that
  // ends the hub, with no login needed. Fixed: a 400.
  it('a request target the URL parser refuses gets 400, and the endpoint lives on', async () => {
    const port = Number(new URL(h.ep.url).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write('PROPFIND //%EF%BF%BD/%EF%BF%BD%04 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'));
      let got = '';
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
      sock.setTimeout(5000, () => sock.destroy(new Error('no answer')));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    const ok = await fetch(`${h.ep.url.replace(/\/syncml$/, '')}/dav/alice/contacts/a.vcf`, { headers: { authorization: h.auth.alice! } });
    expect(ok.status).toBe(200);
  });
});
