// Fuzz targets for the CardDAV server's parsers: the XML bodies of PROPFIND, REPORT and
// PROPPATCH (xml.ts), whole requests through CarddavService.handle (the Depth, If-Match and
// If-None-Match headers, the href → resource mapping with traversal, the reports), the
// merge of a client's unmodelled lines (merge.ts), and requests over real keep-alive HTTP.
// A request must get a 4xx or a valid answer (a 207 that parses as a DAV:multistatus),
// never a 5xx or a throw, never another account's card, never a change to a book it was
// not allowed to change.
import path from 'node:path';
import fc from 'fast-check';
import { equalContacts, normalizeContact } from '../../../main/core/contact';
import { parseVCard, writeVCard, type VCardVersion } from '../../../main/core/vcard';
import { pairCarddavAccount } from '../../../main/devices/carddav/pair';
import { mergeCard, revValue } from '../../../main/devices/carddav/merge';
import type { CarddavService, DavReply } from '../../../main/devices/carddav/service';
import { DAV, MAX_DEPTH, parseXml, XmlError, type XNode } from '../../../main/devices/carddav/xml';
import { LoginLimiter } from '../../../main/devices/syncml/auth';
import { startSyncmlEndpoint, type SyncmlEndpoint } from '../../../main/devices/syncml/http';
import { Hub } from '../../../main/hub/hub';
import { tmpDir } from '../../lib/tmp';
import { mixed, Violation, type FuzzTarget } from './harness';
import { mutate, type Rng } from './mutate';
import { vcardSamples } from './parsers';
import type { keepAliveClient } from './net';
import fs from 'node:fs';

const enc = new TextEncoder();
const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const NS = 'xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"';

/** A card of bob's carries this; no request of another account may ever see it. */
export const BOB_MARKER = 'BOB-PRIVATE-7f3a9c';

export const APPLE_CARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'PRODID:-//Apple Inc.//macOS 14.0//EN',
  'N:Uchida;Mitsuko;;;',
  'FN:Mitsuko Uchida',
  'item1.TEL;type=pref:+44 20 7946 0958',
  'item1.X-ABLabel:_$!<Mobile>!$_',
  'item2.EMAIL;type=INTERNET:mitsuko@example.org',
  'item2.X-ABLabel:agent',
  'X-SOCIALPROFILE;type=twitter:https://twitter.com/example',
  'PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRof',
  ' Hh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/',
  'UID:5C2A0D44-1D33-4B2E-9C43-7C6D2A0F1E01',
  'REV:2026-01-01T00:00:00Z',
  'END:VCARD',
  '',
].join('\r\n');

/** Real request bodies: what vdirsyncer, tsdav, SyncEvolution, DAVx⁵ and Apple send
 *  (shared/tools/carddav/README.md and the protocol tests). */
export function davBodySamples(user = 'alice'): string[] {
  const book = `/dav/${user}/contacts/`;
  return [
    `<?xml version="1.0" encoding="utf-8"?><d:propfind ${NS}><d:prop><d:resourcetype/><d:current-user-principal/><card:addressbook-home-set/></d:prop></d:propfind>`,
    `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>`,
    `<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/><D:sync-token/><D:displayname/><D:supported-report-set/><D:current-user-privilege-set/></D:prop></D:propfind>`,
    `<propfind xmlns="DAV:"><allprop/></propfind>`,
    `<d:propfind xmlns:d="DAV:"><d:propname/></d:propfind>`,
    `<card:addressbook-multiget ${NS}><d:prop><d:getetag/><card:address-data/></d:prop><d:href>${book}a.vcf</d:href><d:href>${book}../../bob/contacts/b.vcf</d:href><d:href>http://127.0.0.1${book}c%20d.vcf</d:href></card:addressbook-multiget>`,
    `<card:addressbook-multiget ${NS}><d:prop><card:address-data content-type="text/vcard" version="4.0"><card:prop name="FN"/><card:prop name="PHOTO" novalue="yes"/></card:address-data></d:prop><d:href>${book}a.vcf</d:href></card:addressbook-multiget>`,
    `<card:addressbook-query ${NS}><d:prop><d:getetag/></d:prop><card:filter test="anyof"><card:prop-filter name="FN"><card:text-match collation="i;unicode-casemap" match-type="contains">uchida</card:text-match></card:prop-filter><card:prop-filter name="EMAIL" test="allof"><card:text-match negate-condition="yes" match-type="ends-with">.org</card:text-match><card:param-filter name="TYPE"><card:is-not-defined/></card:param-filter></card:prop-filter></card:filter><card:limit><card:nresults>5</card:nresults></card:limit></card:addressbook-query>`,
    `<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`,
    `<d:sync-collection xmlns:d="DAV:"><d:sync-token>http://concord.invalid/ns/sync/AAAAAAAAAAAA/3</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><card:address-data xmlns:card="urn:ietf:params:xml:ns:carddav"/></d:prop></d:sync-collection>`,
    `<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Family &amp; friends</d:displayname></d:prop></d:set></d:propertyupdate>`,
    `<d:propertyupdate xmlns:d="DAV:" xmlns:x="http://example.com/ns"><d:remove><d:prop><x:color/></d:prop></d:remove><d:set><d:prop><d:displayname/></d:prop></d:set></d:propertyupdate>`,
    `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:principal-URL/><D:owner/><D:principal-collection-set/></D:prop></D:propfind>`,
  ];
}

const DAV_NAMES = ['propfind', 'prop', 'allprop', 'propname', 'include', 'href', 'getetag', 'resourcetype', 'displayname', 'sync-collection', 'sync-token', 'sync-level', 'propertyupdate', 'set', 'remove', 'current-user-principal', 'supported-report-set', 'getcontenttype', 'limit'];
const CARD_NAMES = ['addressbook-multiget', 'addressbook-query', 'address-data', 'filter', 'prop-filter', 'param-filter', 'text-match', 'is-not-defined', 'limit', 'nresults', 'prop', 'allprop', 'addressbook-home-set', 'supported-address-data'];
const ATTRS = [
  '', ' name="FN"', ' name="TEL"', ' name=""', ' name="item1.TEL"', ' test="allof"', ' test="anyof"', ' test="nope"', ' match-type="equals"', ' match-type="starts-with"', ' match-type="x"',
  ' collation="i;octet"', ' negate-condition="yes"', ' novalue="yes"', ' content-type="text/vcard"', ' content-type="application/vcard+json"', ' version="4.0"', ' version="2.1"', ' version=""',
  ' xmlns="DAV:"', ' xmlns:d="urn:ietf:params:xml:ns:carddav"', ' xmlns:q="x"', " a='&lt;'", ' a="&bogus;"', ' a=1', ' xml:lang="en"',
];
const TEXTS = [
  '', 'uchida', '/dav/alice/contacts/a.vcf', '/dav/alice/contacts/../../bob/contacts/b.vcf', '/dav/alice/contacts/%2e%2e%2fbob', '/dav/alice/contacts/a%2fb.vcf', '/dav/bob/contacts/b.vcf',
  'http://[::1]:0/dav/alice/contacts/a.vcf', 'http://x:y@/', '%ZZ', '%00', 'http://concord.invalid/ns/sync/AAAAAAAAAAAA/1', 'http://concord.invalid/ns/sync/x/99999999999999999999', '-1', '1e400', 'NaN', '0',
  '&amp;', '&lt;', '&#0;', '&#x110000;', '&#xD800;', '&#65;', '&', ']]>', '<![CDATA[<d:href>]]>', '<!-- c -->', '<?pi x?>', '\u0000', '\ud800', 'x'.repeat(300),
];
interface Gx {
  tag: string;
  attrs: string;
  kids: Gx[];
  text: string;
}
function gxOf(depth: number): fc.Arbitrary<Gx> {
  const kids = depth <= 0 ? fc.constant<Gx[]>([]) : fc.array(gxOf(depth - 1), { maxLength: 4 });
  const tag = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...DAV_NAMES).map((n) => `d:${n}`) },
    { weight: 4, arbitrary: fc.constantFrom(...CARD_NAMES).map((n) => `card:${n}`) },
    { weight: 1, arbitrary: fc.constantFrom('cs:getctag', 'x:y', 'propfind', 'D:href', '_', 'a:b:c', 'd:', ':x') },
  );
  return fc.record({ tag, attrs: fc.constantFrom(...ATTRS), kids, text: fc.oneof(fc.constantFrom(...TEXTS), fc.string({ maxLength: 12 })) });
}
function gxText(n: Gx): string {
  return `<${n.tag}${n.attrs}>${n.text}${n.kids.map(gxText).join('')}</${n.tag}>`;
}
/** Structured but wrong WebDAV bodies: the known elements in any order and nesting, with
 *  hostile attributes and text, a prologue or none, now and then a DOCTYPE or deep nesting. */
export const davXmlArb: fc.Arbitrary<string> = fc
  .tuple(gxOf(4), fc.constantFrom('', '<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0"?>\n', '\ufeff', '<!DOCTYPE d [<!ENTITY e "x">]>', '<!-- hi -->', '  '), fc.integer({ min: 0, max: 9 }))
  .map(([root, prologue, shape]) => {
    const withNs = { ...root, attrs: ` ${NS}${root.attrs}` };
    if (shape === 0) return `${prologue}<d:a ${NS}>`.padEnd(40, ' ') + '<d:a>'.repeat(MAX_DEPTH + 3) + '</d:a>'.repeat(MAX_DEPTH + 4);
    if (shape === 1) return prologue + gxText(withNs) + gxText(withNs);
    if (shape === 2) return prologue + gxText(root);
    return prologue + gxText(withNs);
  });

function checkTree(n: XNode, depth = 1): void {
  if (depth > MAX_DEPTH + 1) throw new Violation(`a tree deeper than ${MAX_DEPTH} came out of parseXml`);
  if (typeof n.ns !== 'string' || typeof n.name !== 'string' || !n.name || typeof n.text !== 'string') throw new Violation('parseXml made a malformed node');
  for (const c of n.children) checkTree(c, depth + 1);
}

/** xml.ts alone: a tree or XmlError, nothing else. */
export function davXmlTarget(): FuzzTarget<string> {
  return {
    name: 'carddav-xml',
    gen: mixed<string>({ structured: davXmlArb, seeds: davBodySamples(), toBytes: (s) => enc.encode(s), fromBytes: utf8 }),
    exec: (input) => {
      let root: XNode;
      try {
        root = parseXml(input);
      } catch (e) {
        if (e instanceof XmlError && e.message) return;
        throw e;
      }
      checkTree(root);
    },
  };
}

// ---- whole requests ------------------------------------------------------------------------

export interface DavRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const METHODS = ['PROPFIND', 'PROPFIND', 'PROPFIND', 'REPORT', 'REPORT', 'REPORT', 'PROPPATCH', 'PROPPATCH', 'PUT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'MKCOL', 'MOVE', 'COPY', 'LOCK', 'propfind', 'X'];
const DEPTHS = ['0', '1', 'infinity', '', ' 1', '2', '-1', '1,1', 'Infinity', '\u00001'];

function pathSamples(user: string): string[] {
  const b = `/dav/${user}/contacts/`;
  return [
    b, `${b}a.vcf`, `${b}c%20d.vcf`, `/dav/${user}/`, `/dav/${user}`, '/dav/', '/dav', '/', '/.well-known/carddav', `/dav/${user}/contacts`,
    `${b}..`, `${b}%2e%2e`, `${b}%2e%2e%2f%2e%2e%2fbob%2fcontacts%2fb.vcf`, `${b}..%2F..%2Fbob%2Fcontacts%2Fb.vcf`, `/dav/${user}/contacts/../../bob/contacts/b.vcf`,
    `/dav/bob/contacts/b.vcf`, '/dav/bob/contacts/', '/dav/%62ob/contacts/b.vcf', `${b}a%2fb.vcf`, `${b}a%5cb.vcf`, `${b}%ZZ`, `${b}%`, `${b}%00.vcf`, `${b}sub/x.vcf`,
    `/dav/${user}//contacts/a.vcf`, `/dav/${user}/contacts//a.vcf`, `${b}${'x'.repeat(300)}.vcf`, `${b}%C3%A9t%C3%A9.vcf`, `${b}%ED%A0%80.vcf`, `/DAV/${user}/contacts/`,
  ];
}

/** The card names of a user's book and their ETags, for preconditions that can match. */
export type Etags = () => string[];

function headerValue(rng: Rng, etags: string[], allowMatch: boolean): string {
  const pool = [...(allowMatch ? ['*', ...etags] : []), '"stale"', '"', '""', 'W/"x"', '* , *', ',', ' ', '"a", "b"', etags[0] ? `W/${etags[0]}` : '"x"'];
  let v = rng.pick(pool);
  if (rng.chance(0.4)) v = utf8(mutate(rng, enc.encode(v), { maxLen: 200 }));
  if (rng.chance(0.2)) v = `${v}, ${rng.pick(pool)}`;
  return v;
}

/** A request generator: a method, a path (real ones and their mutants), Depth and
 *  preconditions, and a body (a WebDAV body, a card for PUT). With `readOnly` no request
 *  may legitimately change the book: PUT and DELETE carry an If-Match that cannot match,
 *  PROPPATCH goes to a path that is not the book. */
export function davRequests(user: string, etags: Etags, opts: { readOnly?: boolean } = {}): (rng: Rng, i: number) => DavRequest {
  const bodies = mixed<string>({ structured: davXmlArb, seeds: davBodySamples(user), toBytes: (s) => enc.encode(s), fromBytes: utf8 });
  const cards = [APPLE_CARD, ...vcardSamples().map(utf8)].map((s) => enc.encode(s));
  const paths = pathSamples(user).map((p) => enc.encode(p));
  return (rng, i) => {
    const method = rng.pick(METHODS);
    let p = utf8(rng.chance(0.7) ? rng.pick(paths) : mutate(rng, rng.pick(paths), { maxLen: 400 }));
    const headers: Record<string, string> = {};
    if (rng.chance(0.7)) headers.depth = rng.pick(DEPTHS);
    let body = '';
    if (method === 'PUT') {
      body = utf8(rng.chance(0.3) ? rng.pick(cards) : mutate(rng, rng.pick(cards), { maxLen: 64 * 1024 }));
      headers['content-type'] = rng.pick(['text/vcard', 'text/vcard; charset=utf-8', 'text/x-vcard', 'application/json', '', 'text/vcard;;']);
    } else if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
      body = rng.chance(0.03) ? '' : bodies(rng, i);
      headers['content-type'] = 'application/xml; charset=utf-8';
    }
    const known = etags();
    if (opts.readOnly && (method === 'PUT' || method === 'DELETE')) {
      // A precondition that names no ETag of the book and is not "*".
      let v = headerValue(rng, known, false);
      if (v.split(',').some((x) => x.trim() === '*' || known.includes(x.trim()))) v = '"never"';
      headers['if-match'] = v;
      if (rng.chance(0.3)) headers['if-none-match'] = headerValue(rng, known, true);
    } else {
      if (rng.chance(0.3)) headers['if-match'] = headerValue(rng, known, true);
      if (rng.chance(0.3)) headers['if-none-match'] = headerValue(rng, known, true);
    }
    // (Not a mutated path: `/dav/%61lice/contacts/x/..` is the book too.)
    if (opts.readOnly && method.toUpperCase() === 'PROPPATCH') p = rng.pick([`/dav/${user}/`, '/dav/', `/dav/${user}/contacts/a.vcf`, '/dav/bob/contacts/']);
    return { method, path: p, headers, body };
  };
}

/** What an answer must be: a status below 500 with a message for a refusal; a 207 whose
 *  body is a DAV:multistatus; never bob's card. */
export function checkDavReply(status: number, body: string, request: DavRequest): void {
  if (status >= 500 || status < 100) throw new Violation(`HTTP ${status} for ${request.method}: ${body.slice(0, 200)}`);
  if (body.includes(BOB_MARKER)) throw new Violation(`another account's card was served for ${request.method} ${request.path}`);
  if (status >= 400 && request.method.toUpperCase() !== 'HEAD' && !body.length) throw new Violation(`HTTP ${status} without a message`);
  if (status === 207) {
    let root: XNode;
    try {
      root = parseXml(body);
    } catch (e) {
      throw new Violation(`a 207 whose body does not parse: ${(e as Error).message}`);
    }
    if (root.ns !== DAV || root.name !== 'multistatus') throw new Violation(`a 207 whose root is ${root.ns}${root.name}`);
  }
}

export interface DavFuzzHub {
  hub: Hub;
  ep: SyncmlEndpoint;
  service: CarddavService;
  auth: Record<string, string>;
  /** The books of `users` (cards and book rows but the display name), as one string. */
  digest(users: string[]): string;
  etags(user: string): string[];
  close(): Promise<void>;
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** A hub with three CardDAV accounts on loopback: `fuzzer` (the in-process requests, which
 *  may change its book), `alice` (fuzzed over HTTP, whose book must not change) and `bob`
 *  (whose card nobody else may see). No run starts: the fuzzing is about the server. */
export async function startDavFuzzHub(): Promise<DavFuzzHub> {
  const dir = tmpDir('fuzz-dav');
  const hub = Hub.open({ dataDir: path.join(dir, 'hub'), region: 'GB' });
  const users = { alice: 'alice-pass', bob: 'bob-pass', fuzzer: 'fuzzer-pass' };
  const spids: Record<string, string> = {};
  for (const [u, p] of Object.entries(users)) spids[u] = pairCarddavAccount(hub, u, u, p).spid;
  const ep = await startSyncmlEndpoint(hub, { host: '127.0.0.1', port: 0, carddav: { debounceMs: 1e9, maxDelayMs: 1e9, firstContactMs: 1e9, limiter: new LoginLimiter(1e9), maxXmlBytes: 256 * 1024, maxCardBytes: 256 * 1024 } });
  const service = ep.carddav!;
  const auth = Object.fromEntries(Object.entries(users).map(([u, p]) => [u, basic(u, p)]));
  const put = (user: string, name: string, body: string) => {
    const r = service.handle({ method: 'PUT', path: `/dav/${user}/contacts/${name}`, headers: { authorization: auth[user], 'content-type': 'text/vcard' }, body, remote: '127.0.0.1' });
    if (r.status !== 201) throw new Error(`setting up the fuzz hub: PUT ${name} got ${r.status}`);
  };
  for (const u of ['alice', 'fuzzer']) {
    put(u, 'a.vcf', APPLE_CARD);
    put(u, 'c%20d.vcf', 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:c\r\nFN:Zoë Müller\r\nEMAIL;TYPE=home:zoe@example.org\r\nEND:VCARD\r\n');
    put(u, 'gone.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g\r\nFN:Gone\r\nEND:VCARD\r\n');
    const r = service.handle({ method: 'DELETE', path: `/dav/${u}/contacts/gone.vcf`, headers: { authorization: auth[u] }, body: '', remote: '127.0.0.1' });
    if (r.status !== 204) throw new Error('setting up the fuzz hub: DELETE failed');
  }
  put('bob', 'b.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b\r\nFN:Bob Private\r\nNOTE:${BOB_MARKER}\r\nEND:VCARD\r\n`);
  const db = hub.dss.db;
  const cardsQ = db.prepare('SELECT href, etag, body, revision, is_group, deleted_at FROM carddav_cards WHERE spid = ? ORDER BY href');
  const bookQ = db.prepare('SELECT book_id, revision, change_seq, pruned_revision FROM carddav_books WHERE spid = ?');
  const changesQ = db.prepare('SELECT href, state, seq, seen FROM carddav_changes WHERE spid = ? ORDER BY href');
  return {
    hub,
    ep,
    service,
    auth,
    digest: (list) => JSON.stringify(list.map((u) => [cardsQ.all(spids[u]), changesQ.all(spids[u]), bookQ.get(spids[u])])),
    etags: (user) => (cardsQ.all(spids[user]) as { etag: string; body: string | null }[]).filter((c) => c.body !== null).map((c) => c.etag),
    close: async () => {
      await ep.close();
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const showRequest = (x: DavRequest) => JSON.stringify(x).slice(0, 600);
function* shrinkRequest(x: DavRequest): Iterable<DavRequest> {
  for (const k of Object.keys(x.headers)) {
    const headers = { ...x.headers };
    delete headers[k];
    yield { ...x, headers };
  }
  for (let size = x.body.length >> 1; size >= 1; size >>= 1) {
    for (let at = 0; at + size <= x.body.length; at += size) yield { ...x, body: x.body.slice(0, at) + x.body.slice(at + size) };
  }
}

/** Whole requests through CarddavService.handle as `fuzzer` (now and then with a bad or no
 *  login): a 4xx or a valid answer; alice's and bob's books never change. */
export function davRequestTarget(h: DavFuzzHub): FuzzTarget<DavRequest & { login: number }> {
  const gen = davRequests('fuzzer', () => h.etags('fuzzer'));
  const others = h.digest(['alice', 'bob']);
  // Mostly the right login (or nothing past authentication is fuzzed), now and then none or
  // a malformed one. Not a wrong password of a real user: checking one costs a deliberate
  // scrypt (tens of ms, more on a busy machine), which is the login's cost, not a parser's.
  const logins = [h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, h.auth.fuzzer!, '', 'Basic', 'Basic !!!', basic('nobody', 'x'), 'Bearer x', basic('', '')];
  return {
    name: 'carddav-request',
    gen: (rng, i) => ({ ...gen(rng, i), login: rng.int(logins.length) }),
    show: showRequest,
    shrink: (x) => [...shrinkRequest(x)].map((r) => ({ ...r, login: x.login })),
    exec: (x) => {
      const login = logins[x.login]!;
      const write = ['PUT', 'DELETE'].includes(x.method.toUpperCase());
      const before = write ? h.etags('fuzzer') : [];
      let r: DavReply;
      try {
        r = h.service.handle({ method: x.method.toUpperCase(), path: x.path, headers: { ...x.headers, ...(login ? { authorization: login } : {}) }, body: x.body, remote: '127.0.0.1' });
      } catch (e) {
        if (e instanceof Error) e.message = `handle threw ${e.name}: ${e.message}`;
        throw e;
      }
      checkDavReply(r.status, r.body, x);
      // RFC 7232 §3.1: a write under If-Match succeeds only if the list is "*" or names the
      // current ETag (here: one of the book's; a write may also be a no-op 204 on a match).
      const ifMatch = x.headers['if-match'];
      if (write && r.status < 300 && ifMatch !== undefined && !ifMatch.split(',').some((v) => v.trim() === '*' || before.includes(v.trim()))) {
        throw new Violation(`${x.method} succeeded (${r.status}) under If-Match ${JSON.stringify(ifMatch)}, which names no ETag of the book`);
      }
      if (h.digest(['alice', 'bob']) !== others) throw new Violation(`${x.method} ${x.path} as fuzzer changed another account's book`);
    },
  };
}

/** The same requests over one keep-alive HTTP connection, as alice, none of which may
 *  change her book (see davRequests, readOnly). A PROPPATCH that renames a collection is a
 *  valid request and is counted in `accepted`, never expected. */
export function davHttpTarget(h: DavFuzzHub, client: ReturnType<typeof keepAliveClient>, accepted: Record<string, number>): FuzzTarget<DavRequest> {
  const etags = h.etags('alice');
  const gen = davRequests('alice', () => etags, { readOnly: true });
  return {
    name: 'carddav-http',
    gen: (rng, i) => {
      const x = gen(rng, i);
      // What Node's HTTP client will not send (control characters in the path) is sent
      // percent-encoded; a method Node's HTTP parser does not know (it answers those itself,
      // before the endpoint sees them) becomes one it knows that the server does not serve.
      return { ...x, method: x.method === 'X' ? 'PATCH' : x.method, path: (x.path.startsWith('/') ? '' : '/') + x.path.replace(/[^\x21-\x7e]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')) };
    },
    show: showRequest,
    shrink: shrinkRequest,
    exec: async (x) => {
      // Content-Length always: Node's client sends the body of an OPTIONS or DELETE
      // without one, and the server would read it as the start of the next request.
      const headers: Record<string, string> = { authorization: h.auth.alice!, 'content-length': String(Buffer.byteLength(x.body)) };
      // A header byte Node will not send becomes '?' (dropping the header instead would turn
      // a precondition that cannot match into none at all).
      for (const [k, v] of Object.entries(x.headers)) if (!(k in headers)) headers[k] = v.replace(/[^\t\x20-\x7e]/g, '?');
      const r = await client.request({ method: x.method, path: x.path, headers, body: x.body });
      const text = r.body.toString('utf8');
      checkDavReply(r.status, text, x);
      if (x.method.toUpperCase() === 'PROPPATCH' && r.status === 207 && text.includes('200 OK')) accepted.PROPPATCH = (accepted.PROPPATCH ?? 0) + 1;
    },
  };
}

// ---- the merge of a client's lines ------------------------------------------------------------

/** mergeCard(old, codec's card of the truth): null, or a card that says exactly what the
 *  truth says with one REV, the one given. The old card is a mutant of a real card; the
 *  truth is read from another real card (or the same one, now and then edited). */
export function davMergeTarget(): FuzzTarget<string> {
  const samples = [APPLE_CARD, ...vcardSamples().map(utf8)].filter((s) => {
    try {
      parseVCard(s);
      return true;
    } catch {
      return false;
    }
  });
  const truths = samples.map((s) => normalizeContact(parseVCard(s).contact, 'GB'));
  const cardArb = fc.constantFrom(...samples);
  return {
    name: 'carddav-merge',
    gen: mixed<string>({ structured: cardArb, seeds: samples, toBytes: (s) => enc.encode(s), fromBytes: utf8 }),
    exec: (old) => {
      let h = 0;
      for (let i = 0; i < Math.min(old.length, 64); i++) h = (h * 31 + old.charCodeAt(i)) >>> 0;
      const base = truths[h % truths.length]!;
      const truth = h % 3 === 0 ? normalizeContact({ ...base, title: 'Edited' }, 'GB') : base;
      const version: VCardVersion = h % 2 ? '4.0' : '3.0';
      const rev = revValue(1_780_000_000_000 + h, version, h % 5 === 0 ? '2020-01-01T00:00:00Z' : undefined);
      const fresh = writeVCard(truth, version, { uid: 'u', rev, lineEnding: '\r\n' });
      let merged: string | null;
      try {
        merged = mergeCard(old, fresh, version, 'GB', truth, rev);
      } catch (e) {
        if (e instanceof Error) e.message = `mergeCard threw ${e.name}: ${e.message}`;
        throw e;
      }
      if (merged === null) return;
      const back = parseVCard(merged);
      if (!equalContacts(normalizeContact(back.contact, 'GB'), truth)) throw new Violation('a merged card does not say what the truth says');
      const revs = merged.replace(/\r?\n[ \t]/g, '').split(/\r?\n/).filter((l) => /^(?:[A-Za-z0-9-]+\.)?REV[;:]/i.test(l));
      if (revs.length !== 1 || !revs[0]!.endsWith(`:${rev}`)) throw new Violation(`a merged card has REV lines ${JSON.stringify(revs)}, not one REV:${rev}`);
    },
  };
}
