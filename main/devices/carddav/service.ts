// The CardDAV server (RFC 6352 over RFC 4918, sync-collection of RFC 6578) on the hub's LAN
// endpoint. Layout: /.well-known/carddav → /dav/; /dav/USER/ is the account's principal and
// its address-book home; /dav/USER/contacts/ its one book; /dav/USER/contacts/NAME a card.
// A client's PUT or DELETE is stored at once and answered; a run follows (debounced).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseVCards, MAX_LINE_SIZE, type VCardVersion } from '../../core/vcard';
import type { Spid } from '../../core/types';
import { CarddavStore, type CardRow } from '../../dss/carddav-store';
import type { Db } from '../../dss/db';
import type { SyncPoint } from '../../hub/sync-point';
import type { DeviceRecord, RunSummary } from '../../hub/types';
import { LoginLimiter } from '../syncml/auth';
import { bookPath, carddavConfigOf, checkSecret, principalPath, ROOT, type CarddavConfig } from './account';
import { addressDataRequest, shapeAddressData } from './address-data';
import { CarddavPoint, etagOf } from './point';
import { CARDDAV, child, children, CS, DAV, esc, parseXml, XmlError, type XNode } from './xml';

/** What the service needs of the hub (main/hub/hub.ts `Hub` satisfies it). */
export interface CarddavHub {
  readonly dss: { readonly db: Db; mapByLuid(spid: Spid, luid: string): unknown };
  devices(): DeviceRecord[];
  device(spid: Spid): DeviceRecord | undefined;
  updateDeviceConfig(spid: Spid, config: Record<string, unknown>): void;
  attach(point: SyncPoint): void;
  detach(spid: Spid): void;
  sync(spids?: readonly Spid[]): Promise<RunSummary>;
  region(): string;
  on(event: 'changed', fn: (what: 'contacts' | 'devices' | 'conflicts' | 'history' | 'settings') => void): () => void;
}

export interface CarddavOptions {
  /** Largest XML request body (default 1 MB). */
  maxXmlBytes?: number;
  /** Largest card (default 2 MB: a card with a photo). */
  maxCardBytes?: number;
  /** Quiet time after a client's last change before the run starts (default 400 ms). */
  debounceMs?: number;
  /** A run starts at the latest this long after the first change waiting (default 3 s). */
  maxDelayMs?: number;
  limiter?: LoginLimiter;
  /** A new account goes online this long after its first client's first request, or after
   *  that client's last write (default 2 s): see `firstContact`. */
  firstContactMs?: number;
  /** How long a deleted card's tombstone is kept for sync-collection (default 90 days). */
  keepTombstonesMs?: number;
  /** The clock (default Date.now). */
  now?: () => number;
}

/**
 * Tombstones are kept 90 days, then pruned (RFC 6578 §3.2: the server decides how much
 * change history it keeps; a token older than that is refused with DAV:valid-sync-token and
 * the client starts again with an empty token). A time bound rather than a count, because it
 * is the promise a user can understand: a phone or laptop that syncs at least once a quarter
 * never has to list the whole book again, however many cards were deleted meanwhile; one
 * left in a drawer longer does one full listing (cheap: ETags only) and converges.
 */
export const KEEP_TOMBSTONES_MS = 90 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

export interface DavReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Account {
  spid: Spid;
  user: string;
  config: CarddavConfig;
}

class DavError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A precondition element (DAV: or CARDDAV:) for an error body. */
    readonly condition?: { ns: string; name: string },
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 424: 'Failed Dependency' };
const statusLine = (s: number) => `HTTP/1.1 ${s} ${STATUS_TEXT[s] ?? ''}`.trimEnd();
const TOKEN_PREFIX = 'http://concord.invalid/ns/sync/';
const VCARD_TYPE = 'text/vcard; charset=utf-8';
const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT';
const GROUP_RE = /^(?:[A-Za-z0-9-]+\.)?(?:KIND:group|X-ADDRESSBOOKSERVER-KIND:group)\s*$/im;
const PREFIX: Record<string, string> = { [DAV]: 'd', [CARDDAV]: 'card', [CS]: 'cs' };
/** A card name made of unreserved characters only: its own href segment. */
const PLAIN_NAME = /^[A-Za-z0-9._~-]+$/;
/** Where a listing's template takes each card's href and ETag (characters no href or ETag holds). */
const HREF_MARK = '\u0001';
const ETAG_MARK = '\u0002';

/** Encodes a card name for an href: RFC 3986 pchar stays as it is. */
function encodeName(name: string): string {
  if (PLAIN_NAME.test(name)) return name;
  return encodeURIComponent(name).replace(/%(40|3A|24|26|2B|2C|3B|3D)/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A card name from a path segment: one segment, no dot names, no control characters. */
function cardName(seg: string): string {
  let name: string;
  try {
    name = decodeURIComponent(seg);
  } catch {
    throw new DavError(400, 'the resource name is not valid percent-encoding');
  }
  if (name === '' || name === '.' || name === '..' || name.length > 255 || /[/\\]/.test(name) || [...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw new DavError(400, 'the resource name is not acceptable');
  }
  return name;
}

type Target = { kind: 'root' } | { kind: 'principal'; user: string } | { kind: 'book'; user: string } | { kind: 'card'; user: string; name: string };

export class CarddavService {
  private readonly store: CarddavStore;
  private readonly limiter: LoginLimiter;
  private readonly maxXml: number;
  private readonly maxCard: number;
  private readonly points = new Map<Spid, CarddavPoint>();
  private accounts = new Map<string, Account>();
  /** Authorization header values already verified (scrypt is slow on purpose). */
  private verified = new Map<string, Spid>();
  private runTimer: NodeJS.Timeout | null = null;
  private firstWaiting = 0;
  private readonly unsubscribe: () => void;
  private closed = false;
  /** Each account's last Depth 1 listing of its book, with the book revision it shows. */
  private readonly listings = new Map<Spid, { key: string; xml: string }>();
  /** Accounts no client has reached yet, each with its timer once one has. */
  private readonly waiting = new Map<Spid, NodeJS.Timeout | null>();
  private readonly now: () => number;
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(
    private readonly hub: CarddavHub,
    private readonly opts: CarddavOptions = {},
  ) {
    this.store = new CarddavStore(hub.dss.db);
    this.limiter = opts.limiter ?? new LoginLimiter();
    this.maxXml = opts.maxXmlBytes ?? 1_000_000;
    this.maxCard = opts.maxCardBytes ?? 2_000_000;
    this.now = opts.now ?? Date.now;
    this.refresh();
    this.pruneTombstones();
    this.pruneTimer = setInterval(() => {
      if (!this.closed) this.pruneTombstones();
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref?.();
    this.unsubscribe = hub.on('changed', (what) => {
      if (what === 'devices' && !this.closed) this.refresh();
    });
  }

  /** Attaches a point per paired account (a log device always online); drops forgotten ones. */
  private refresh(): void {
    const next = new Map<string, Account>();
    for (const d of this.hub.devices()) {
      const config = carddavConfigOf(d);
      if (!config) continue;
      next.set(config.user, { spid: d.spid, user: config.user, config });
      this.store.ensureBook(d.spid, 'Contacts');
      if (!config.clientSeen) {
        if (!this.waiting.has(d.spid)) this.waiting.set(d.spid, null);
        continue;
      }
      if (!this.points.has(d.spid)) {
        const point = new CarddavPoint(d.spid, {
          store: this.store,
          region: () => this.hub.region(),
          version: () => this.accountBySpid(d.spid)?.config.version ?? '3.0',
          now: this.now,
        });
        this.points.set(d.spid, point);
        this.hub.attach(point);
      }
    }
    for (const [spid, timer] of [...this.waiting]) {
      if (![...next.values()].some((a) => a.spid === spid && !a.config.clientSeen)) {
        if (timer) clearTimeout(timer);
        this.waiting.delete(spid);
      }
    }
    for (const spid of [...this.points.keys()]) {
      if (![...next.values()].some((a) => a.spid === spid)) {
        this.points.delete(spid);
        this.hub.detach(spid);
      }
    }
    for (const spid of [...this.listings.keys()]) if (![...next.values()].some((a) => a.spid === spid)) this.listings.delete(spid);
    const changedLogin = [...next.values()].some((a) => this.accounts.get(a.user)?.config.secret !== a.config.secret) || next.size !== this.accounts.size;
    this.accounts = next;
    if (changedLogin) this.verified.clear();
  }

  private accountBySpid(spid: Spid): Account | undefined {
    for (const a of this.accounts.values()) if (a.spid === spid) return a;
    return undefined;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.runTimer) clearTimeout(this.runTimer);
    clearInterval(this.pruneTimer);
    for (const timer of this.waiting.values()) if (timer) clearTimeout(timer);
    for (const spid of this.points.keys()) this.hub.detach(spid);
    this.points.clear();
  }

  /** The paths this service answers on the LAN endpoint. */
  static routes(pathname: string): boolean {
    return pathname === '/' || pathname === '/dav' || pathname.startsWith(ROOT) || pathname.startsWith('/.well-known/carddav');
  }

  /** Node glue: reads the body within the size limit, answers. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const limit = method === 'PUT' ? this.maxCard : this.maxXml;
    const send = (r: DavReply) => {
      if (res.headersSent) return;
      const body = method === 'HEAD' ? '' : r.body;
      res.writeHead(r.status, { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)), 'cache-control': 'no-store' });
      res.end(body);
    };
    const tooLarge = (): DavReply => ({
      status: 413,
      headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' },
      body: method === 'PUT' ? `A card may be at most ${this.maxCard} bytes.\n` : `A request body may be at most ${this.maxXml} bytes.\n`,
    });
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      send(tooLarge());
      req.resume();
      req.on('end', () => req.destroy());
      setTimeout(() => req.destroy(), 1000).unref();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        if (!over) send(tooLarge());
        over = true;
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      try {
        send(
          this.handle({
            method,
            path: new URL(req.url ?? '/', 'http://x').pathname,
            headers: req.headers as Record<string, string | undefined>,
            body: Buffer.concat(chunks).toString('utf8'),
            remote: req.socket.remoteAddress ?? '',
          }),
        );
      } catch (e) {
        send({ status: 500, headers: { 'content-type': 'text/plain' }, body: `internal error: ${(e as Error).message}\n` });
      }
    });
  }

  handle(req: { method: string; path: string; headers: Record<string, string | undefined>; body: string; remote: string }): DavReply {
    try {
      return this.dispatch(req);
    } catch (e) {
      if (e instanceof DavError) return errorReply(e);
      if (e instanceof XmlError) return errorReply(new DavError(400, e.message));
      throw e;
    }
  }

  private dispatch(req: { method: string; path: string; headers: Record<string, string | undefined>; body: string; remote: string }): DavReply {
    const { method, path } = req;
    if (path.startsWith('/.well-known/carddav')) {
      // RFC 6764: the context path.
      return { status: 301, headers: { location: ROOT, 'content-type': 'text/plain' }, body: `${ROOT}\n` };
    }
    if (method === 'OPTIONS') {
      return { status: 200, headers: { dav: '1, 3, addressbook', allow: ALLOW, 'content-type': 'text/plain' }, body: '' };
    }
    const account = this.authenticate(req.headers.authorization, req.remote);
    if (!account) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="Concord", charset="UTF-8"', 'content-type': 'text/plain; charset=utf-8' },
        body: 'Sign in with the user name and password of a CardDAV account paired in Concord.\n',
      };
    }
    const target = this.resolve(path, account);
    if (this.waiting.has(account.spid)) this.firstContact(account, method === 'PUT' || method === 'DELETE');
    switch (method) {
      case 'PROPFIND':
        return this.propfind(target, account, req.headers.depth, req.body);
      case 'PROPPATCH':
        return this.proppatch(target, account, req.body);
      case 'REPORT':
        if (target.kind !== 'book') throw new DavError(403, 'REPORT is answered on the address book');
        return this.report(account, req.headers.depth, req.body);
      case 'GET':
      case 'HEAD':
        return this.get(target, account);
      case 'PUT':
        if (target.kind !== 'card') throw new DavError(405, 'PUT a card into the address book');
        return this.put(account, target.name, req.headers, req.body);
      case 'DELETE':
        if (target.kind !== 'card') throw new DavError(403, 'the address book itself cannot be deleted');
        return this.delete(account, target.name, req.headers);
      case 'MKCOL':
        throw new DavError(405, 'each account has one address book, already there');
      default:
        return { status: 405, headers: { allow: ALLOW, 'content-type': 'text/plain' }, body: `${method} is not supported\n` };
    }
  }

  // ---- authentication ------------------------------------------------------------------
  private authenticate(header: string | undefined, remote: string): Account | null {
    if (!header || !/^Basic /i.test(header)) return null;
    const known = this.verified.get(header);
    if (known) {
      const a = this.accountBySpid(known);
      if (a) return a;
    }
    const plain = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) return null;
    const user = plain.slice(0, colon);
    const key = `${remote}\u0000${user}`;
    if (this.limiter.blocked(key)) throw new DavError(429, 'too many failed sign-ins; wait a minute');
    const account = this.accounts.get(user);
    if (!account || !checkSecret(plain.slice(colon + 1), account.config.secret)) {
      this.limiter.failed(key);
      return null;
    }
    this.limiter.succeeded(key);
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(header, account.spid);
    return account;
  }

  private resolve(path: string, account: Account): Target {
    if (path === '/' || path === '/dav' || path === ROOT) return { kind: 'root' };
    const segs = path.slice(ROOT.length).split('/');
    let user: string;
    try {
      user = decodeURIComponent(segs[0] ?? '');
    } catch {
      throw new DavError(400, 'bad path');
    }
    // One account cannot see another's: any other user's path is simply not there.
    if (user !== account.user) throw new DavError(404, 'not found');
    if (segs.length === 1 || (segs.length === 2 && segs[1] === '')) return { kind: 'principal', user };
    if (segs[1] !== 'contacts') throw new DavError(404, 'not found');
    if (segs.length === 2 || (segs.length === 3 && segs[2] === '')) return { kind: 'book', user };
    if (segs.length === 3) return { kind: 'card', user, name: cardName(segs[2]!) };
    throw new DavError(404, 'not found');
  }

  // ---- properties -------------------------------------------------------------------------
  private props(target: Target, account: Account, card?: CardRow | { href: string; etag: string; body?: string | null }): Map<string, string | null> {
    const p = new Map<string, string | null>();
    const principal = `<d:href>${esc(principalPath(account.user))}</d:href>`;
    const set = (ns: string, name: string, xml: string | null) => p.set(`${ns}|${name}`, xml);
    const privileges = (list: string[]) => list.map((x) => `<d:privilege><d:${x}/></d:privilege>`).join('');
    if (target.kind === 'card' && card) {
      set(DAV, 'resourcetype', '');
      set(DAV, 'getetag', esc(card.etag));
      set(DAV, 'getcontenttype', VCARD_TYPE);
      if (card.body !== undefined && card.body !== null) set(DAV, 'getcontentlength', String(Buffer.byteLength(card.body)));
      set(DAV, 'current-user-privilege-set', privileges(['read', 'write', 'write-content', 'write-properties']));
      return p;
    }
    set(DAV, 'current-user-principal', principal);
    set(DAV, 'principal-URL', principal);
    set(DAV, 'owner', principal);
    set(DAV, 'principal-collection-set', `<d:href>${ROOT}</d:href>`);
    set(CARDDAV, 'addressbook-home-set', principal);
    set(DAV, 'supported-report-set', '');
    if (target.kind === 'root') {
      set(DAV, 'resourcetype', '<d:collection/>');
      set(DAV, 'displayname', 'Concord');
    } else if (target.kind === 'principal') {
      set(DAV, 'resourcetype', '<d:collection/><d:principal/>');
      set(DAV, 'displayname', esc(account.user));
      set(DAV, 'current-user-privilege-set', privileges(['read']));
    } else {
      const book = this.store.book(account.spid)!;
      const token = `${TOKEN_PREFIX}${book.book_id}/${book.revision}`;
      set(DAV, 'resourcetype', '<d:collection/><card:addressbook/>');
      set(DAV, 'displayname', esc(book.displayname));
      set(CARDDAV, 'addressbook-description', 'Concord');
      set(DAV, 'getcontenttype', 'httpd/unix-directory');
      set(CS, 'getctag', esc(token));
      set(DAV, 'sync-token', esc(token));
      set(
        DAV,
        'supported-report-set',
        ['<card:addressbook-multiget/>', '<card:addressbook-query/>', '<d:sync-collection/>'].map((r) => `<d:supported-report><d:report>${r}</d:report></d:supported-report>`).join(''),
      );
      set(DAV, 'current-user-privilege-set', privileges(['read', 'write', 'write-content', 'write-properties', 'bind', 'unbind', 'read-current-user-privilege-set']));
      set(CARDDAV, 'supported-address-data', '<card:address-data-type content-type="text/vcard" version="3.0"/><card:address-data-type content-type="text/vcard" version="4.0"/>');
      set(CARDDAV, 'max-resource-size', String(this.maxCard));
    }
    return p;
  }

  private response(href: string, all: Map<string, string | null>, asked: XNode[] | 'all', extra?: Map<string, string>): string {
    const ok: string[] = [];
    const missing: string[] = [];
    const emit = (ns: string, name: string, value: string) => {
      const pre = PREFIX[ns];
      if (pre) return value === '' ? `<${pre}:${name}/>` : `<${pre}:${name}>${value}</${pre}:${name}>`;
      return `<x:${name} xmlns:x="${esc(ns)}">${value}</x:${name}>`;
    };
    if (asked === 'all') {
      for (const [k, v] of all) {
        if (v === null) continue;
        const [ns, name] = k.split('|') as [string, string];
        ok.push(emit(ns, name, v));
      }
    } else {
      for (const a of asked) {
        const v = extra?.get(`${a.ns}|${a.name}`) ?? all.get(`${a.ns}|${a.name}`);
        if (v === undefined || v === null) missing.push(emit(a.ns, a.name, ''));
        else ok.push(emit(a.ns, a.name, v));
      }
    }
    let out = `<d:response><d:href>${esc(href)}</d:href>`;
    if (ok.length) out += `<d:propstat><d:prop>${ok.join('')}</d:prop><d:status>${statusLine(200)}</d:status></d:propstat>`;
    if (missing.length) out += `<d:propstat><d:prop>${missing.join('')}</d:prop><d:status>${statusLine(404)}</d:status></d:propstat>`;
    if (!ok.length && !missing.length) out += `<d:propstat><d:prop/><d:status>${statusLine(200)}</d:status></d:propstat>`;
    return `${out}</d:response>`;
  }

  private propfind(target: Target, account: Account, depthHeader: string | undefined, body: string): DavReply {
    let asked: XNode[] | 'all' = 'all';
    if (body.trim() !== '') {
      const root = parseXml(body);
      if (root.ns !== DAV || root.name !== 'propfind') throw new DavError(400, 'the body is not a DAV:propfind');
      const prop = child(root, DAV, 'prop');
      if (prop) asked = prop.children;
    }
    const depth = depthHeader === '0' ? 0 : 1;
    const parts: string[] = [];
    const hrefOf = (t: Target) => (t.kind === 'root' ? ROOT : t.kind === 'principal' ? principalPath(account.user) : t.kind === 'book' ? bookPath(account.user) : '');
    if (target.kind === 'card') {
      const card = this.store.card(account.spid, target.name);
      if (!card?.body) throw new DavError(404, 'no such card');
      parts.push(this.response(bookPath(account.user) + encodeName(target.name), this.props(target, account, card), asked));
    } else {
      parts.push(this.response(hrefOf(target), this.props(target, account), asked));
      if (depth > 0) {
        if (target.kind === 'root') parts.push(this.response(principalPath(account.user), this.props({ kind: 'principal', user: account.user }, account), asked));
        else if (target.kind === 'principal') parts.push(this.response(bookPath(account.user), this.props({ kind: 'book', user: account.user }, account), asked));
        else {
          parts.push(this.listing(account, asked));
        }
      }
    }
    return multistatus(parts);
  }

  /**
   * The book's cards as a Depth 1 PROPFIND lists them (every sync of most clients starts
   * with it). Every card's answer is the same but for its href and ETag (the listing reads
   * no bodies), so it is rendered once through `response` with marks in their place and then
   * filled in per card, byte for byte what `response` gives each card. The listing is kept
   * per account until the book's revision moves: every write to a book bumps it in the
   * write's transaction (it is the sync token), so a listing of the same revision is the same.
   */
  private listing(account: Account, asked: XNode[] | 'all'): string {
    const b = this.store.book(account.spid)!;
    const key = `${b.book_id}/${b.revision}\u0000${account.user}\u0000${asked === 'all' ? '*' : asked.map((a) => `${a.ns}|${a.name}`).join(' ')}`;
    const kept = this.listings.get(account.spid);
    if (kept?.key === key) return kept.xml;
    const rows = this.store.liveMeta(account.spid);
    const book = bookPath(account.user);
    const template = this.response(HREF_MARK, this.props({ kind: 'card', user: account.user, name: '' }, account, { href: '', etag: ETAG_MARK }), asked);
    const pieces: string[] = [];
    template.split(HREF_MARK).forEach((a, i) => {
      if (i > 0) pieces.push(HREF_MARK);
      a.split(ETAG_MARK).forEach((b, j) => {
        if (j > 0) pieces.push(ETAG_MARK);
        pieces.push(b);
      });
    });
    const out = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i]!;
      let s = '';
      for (const piece of pieces) s += piece === HREF_MARK ? esc(book + encodeName(c.href)) : piece === ETAG_MARK ? esc(c.etag) : piece;
      out[i] = s;
    }
    const xml = out.join('');
    this.listings.set(account.spid, { key, xml });
    return xml;
  }

  private proppatch(target: Target, account: Account, body: string): DavReply {
    const root = parseXml(body);
    if (root.ns !== DAV || root.name !== 'propertyupdate') throw new DavError(400, 'the body is not a DAV:propertyupdate');
    const href = target.kind === 'book' ? bookPath(account.user) : target.kind === 'principal' ? principalPath(account.user) : ROOT;
    const props: XNode[] = [];
    for (const op of root.children) for (const p of children(op, DAV, 'prop')) props.push(...p.children.map((c) => ({ ...c, attrs: { op: op.name } })));
    const allowed = target.kind === 'book' && props.every((p) => p.ns === DAV && p.name === 'displayname' && p.attrs.op === 'set');
    const status = allowed ? 200 : 403;
    if (allowed) {
      const name = props.at(-1)?.text.trim();
      if (name) this.store.db.transaction(() => this.store.setDisplayname(account.spid, name.slice(0, 200)))();
    }
    const list = props.map((p) => {
      const bad = !(target.kind === 'book' && p.ns === DAV && p.name === 'displayname' && p.attrs.op === 'set');
      return { p, s: allowed ? 200 : bad ? 403 : 424 };
    });
    const propstats = [200, 403, 424]
      .map((s) => {
        const these = list.filter((x) => x.s === s);
        if (!these.length) return '';
        const xml = these.map(({ p: x }) => (PREFIX[x.ns] ? `<${PREFIX[x.ns]}:${x.name}/>` : `<x:${x.name} xmlns:x="${esc(x.ns)}"/>`)).join('');
        return `<d:propstat><d:prop>${xml}</d:prop><d:status>${statusLine(s)}</d:status></d:propstat>`;
      })
      .join('');
    void status;
    return multistatus([`<d:response><d:href>${esc(href)}</d:href>${propstats}</d:response>`]);
  }

  // ---- reports --------------------------------------------------------------------------------
  private report(account: Account, _depth: string | undefined, body: string): DavReply {
    const root = parseXml(body);
    const book = bookPath(account.user);
    const prop = child(root, DAV, 'prop');
    const asked: XNode[] = prop ? prop.children : [{ ns: DAV, name: 'getetag', attrs: {}, children: [], text: '' }];
    const dataNode = asked.find((a) => a.ns === CARDDAV && a.name === 'address-data');
    const wantsData = dataNode !== undefined;
    // RFC 6352 §10.4: a media type, version and properties the client asks for.
    const shape = dataNode ? addressDataRequest(dataNode) : null;
    if (shape && 'unsupported' in shape) throw new DavError(415, shape.unsupported, { ns: CARDDAV, name: 'supported-address-data' });
    const cardTarget: Target = { kind: 'card', user: account.user, name: '' };
    const cardResponse = (c: CardRow) => {
      const extra = new Map<string, string>();
      if (wantsData && c.body) extra.set(`${CARDDAV}|address-data`, esc(shape ? shapeAddressData(c.body, shape) : c.body));
      return this.response(book + encodeName(c.href), this.props(cardTarget, account, c), asked, extra);
    };
    if (root.ns === CARDDAV && root.name === 'addressbook-multiget') {
      const parts: string[] = [];
      for (const h of children(root, DAV, 'href')) {
        const href = h.text.trim();
        const name = this.nameInBook(href, book);
        const card = name === null ? undefined : this.store.card(account.spid, name);
        if (!card?.body) parts.push(`<d:response><d:href>${esc(href)}</d:href><d:status>${statusLine(404)}</d:status></d:response>`);
        else parts.push(cardResponse(card));
      }
      return multistatus(parts);
    }
    if (root.ns === CARDDAV && root.name === 'addressbook-query') {
      const filter = child(root, CARDDAV, 'filter');
      const limit = Number(child(child(root, CARDDAV, 'limit'), CARDDAV, 'nresults')?.text ?? 'NaN');
      const parts: string[] = [];
      for (const c of this.store.liveCards(account.spid)) {
        if (filter && !matchesFilter(c.body ?? '', filter)) continue;
        if (Number.isFinite(limit) && parts.length >= limit) break;
        parts.push(cardResponse(c));
      }
      return multistatus(parts);
    }
    if (root.ns === DAV && root.name === 'sync-collection') {
      const b = this.store.book(account.spid)!;
      const given = child(root, DAV, 'sync-token')?.text.trim() ?? '';
      let since = -1;
      if (given !== '') {
        const m = given.startsWith(TOKEN_PREFIX) ? /^([A-Za-z0-9_-]+)\/(\d+)$/.exec(given.slice(TOKEN_PREFIX.length)) : null;
        if (!m || m[1] !== b.book_id || Number(m[2]) > b.revision) throw new DavError(403, 'the sync token is not one of this address book', { ns: DAV, name: 'valid-sync-token' });
        // Deletions before the token's time may be pruned: start again with an empty token.
        if (Number(m[2]) < b.pruned_revision) throw new DavError(403, 'the sync token is older than the changes this address book keeps; sync again from scratch', { ns: DAV, name: 'valid-sync-token' });
        since = Number(m[2]);
      }
      const parts: string[] = [];
      if (since < 0) for (const c of this.store.liveCards(account.spid)) parts.push(cardResponse(c));
      else {
        for (const c of this.store.changedSince(account.spid, since)) {
          if (c.gone) parts.push(`<d:response><d:href>${esc(book + encodeName(c.href))}</d:href><d:status>${statusLine(404)}</d:status></d:response>`);
          else {
            const row = wantsData ? this.store.card(account.spid, c.href)! : { ...c, body: null, revision: 0, is_group: 0 };
            parts.push(cardResponse(row));
          }
        }
      }
      return multistatus(parts, `<d:sync-token>${esc(`${TOKEN_PREFIX}${b.book_id}/${b.revision}`)}</d:sync-token>`);
    }
    throw new DavError(403, 'this REPORT is not supported here', { ns: DAV, name: 'supported-report' });
  }

  /** The card name an href names, if it is in this book (absolute URL or path). */
  private nameInBook(href: string, book: string): string | null {
    let path = href;
    try {
      if (/^https?:\/\//i.test(href)) path = new URL(href).pathname;
    } catch {
      return null;
    }
    if (!path.startsWith(book)) return null;
    const rest = path.slice(book.length);
    if (rest === '' || rest.includes('/')) return null;
    try {
      return cardName(rest);
    } catch {
      return null;
    }
  }

  // ---- cards ------------------------------------------------------------------------------------
  private get(target: Target, account: Account): DavReply {
    if (target.kind !== 'card') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Concord CardDAV server\n' };
    const card = this.store.card(account.spid, target.name);
    if (!card?.body) throw new DavError(404, 'no such card');
    return { status: 200, headers: { 'content-type': VCARD_TYPE, etag: card.etag }, body: card.body };
  }

  private checkPreconditions(card: CardRow | undefined, headers: Record<string, string | undefined>): void {
    const live = !!card?.body;
    const ifMatch = headers['if-match'];
    const ifNoneMatch = headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      const list = ifNoneMatch.split(',').map((s) => s.trim());
      if (live && (list.includes('*') || list.includes(card!.etag))) throw new DavError(412, 'the card exists (If-None-Match)');
    }
    if (ifMatch !== undefined) {
      const list = ifMatch.split(',').map((s) => s.trim());
      if (!live || !(list.includes('*') || list.includes(card!.etag))) throw new DavError(412, 'the card has changed (If-Match)');
    }
  }

  private put(account: Account, name: string, headers: Record<string, string | undefined>, body: string): DavReply {
    const type = (headers['content-type'] ?? 'text/vcard').toLowerCase();
    if (!/^(text\/(x-)?vcard|text\/directory|application\/octet-stream)\b/.test(type)) {
      throw new DavError(415, 'a card is text/vcard', { ns: CARDDAV, name: 'supported-address-data' });
    }
    const card = this.store.card(account.spid, name);
    this.checkPreconditions(card, headers);
    const { cards, errors } = parseVCards(body);
    if (errors.length || cards.length !== 1) {
      const why = errors[0]?.message ?? (cards.length === 0 ? 'no vCard found' : 'one card per resource');
      throw new DavError(400, `not a valid vCard: ${why}`, { ns: CARDDAV, name: 'valid-address-data' });
    }
    const parsed = cards[0]!;
    if (body.split(/\r?\n/).some((l) => l.length > MAX_LINE_SIZE)) throw new DavError(413, 'a line of the card is too long');
    const etag = etagOf(body);
    if (card?.body && card.etag === etag) return { status: 204, headers: { etag }, body: '' };
    const isGroup = GROUP_RE.test(body);
    const spid = account.spid;
    this.store.db.transaction(() => {
      const revision = this.store.bump(spid);
      this.store.putCard(spid, name, etag, body, revision, isGroup);
      // Group cards are kept and served, never turned into people.
      if (isGroup) {
        if (card?.body && !card.is_group) this.logDeletion(spid, name);
        return;
      }
      const mapped = this.hub.dss.mapByLuid(spid, name) !== undefined;
      const row = this.store.change(spid, name);
      this.store.logChange(spid, name, mapped || (row && row.seen && row.state !== 'DELETED') ? 'UPDATED' : 'ADDED');
    })();
    this.rememberVersion(account, parsed.version);
    this.schedule();
    return { status: card?.body ? 204 : 201, headers: { etag }, body: '' };
  }

  private logDeletion(spid: Spid, name: string): void {
    const row = this.store.change(spid, name);
    const mapped = this.hub.dss.mapByLuid(spid, name) !== undefined;
    // A card no run has seen goes without a trace.
    if (!mapped && row && !row.seen) this.store.dropChange(spid, name);
    else if (mapped || row) this.store.logChange(spid, name, 'DELETED');
  }

  private delete(account: Account, name: string, headers: Record<string, string | undefined>): DavReply {
    const card = this.store.card(account.spid, name);
    if (!card?.body) throw new DavError(404, 'no such card');
    this.checkPreconditions(card, headers);
    const spid = account.spid;
    this.store.db.transaction(() => {
      const revision = this.store.bump(spid);
      this.store.putCard(spid, name, card.etag, null, revision, false, this.now());
      if (!card.is_group) this.logDeletion(spid, name);
    })();
    this.schedule();
    return { status: 204, headers: {}, body: '' };
  }

  /**
   * A new account's book is empty, and its first client usually brings contacts of its own
   * (a Mac's address book): were the hub to fill the book first, the client would upload its
   * copies beside the hub's and every person would be there twice. So the account's sync
   * point goes online only once its first client has been heard and has stopped writing for
   * a moment; the run then matches the client's cards with the truth (R8) and sends the book
   * only what it lacks.
   */
  private firstContact(account: Account, write: boolean): void {
    const timer = this.waiting.get(account.spid);
    if (timer && !write) return;
    if (timer) clearTimeout(timer);
    const t = setTimeout(() => {
      if (this.closed || !this.waiting.has(account.spid)) return;
      this.waiting.delete(account.spid);
      const config = { ...account.config, clientSeen: true };
      // Updating the config and attaching the point announce the device (refresh runs).
      this.hub.updateDeviceConfig(account.spid, { carddav: config });
      const a = this.accounts.get(account.user);
      if (a) a.config = config;
      this.refresh();
      this.schedule();
    }, this.opts.firstContactMs ?? 2000);
    t.unref?.();
    this.waiting.set(account.spid, t);
  }

  /** Whether the account's book is online (its first client has been heard). */
  isOnline(spid: Spid): boolean {
    return this.points.has(spid);
  }

  private rememberVersion(account: Account, version: VCardVersion): void {
    const v = version === '4.0' ? '4.0' : '3.0';
    if ((account.config.version ?? '3.0') === v) return;
    account.config = { ...account.config, version: v };
    this.hub.updateDeviceConfig(account.spid, { carddav: account.config });
  }

  /** A run follows the clients' changes: after a quiet moment, or at the latest maxDelayMs
   *  after the first change waiting. */
  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    if (!this.runTimer) this.firstWaiting = now;
    else clearTimeout(this.runTimer);
    const wait = Math.max(0, Math.min(this.opts.debounceMs ?? 400, this.firstWaiting + (this.opts.maxDelayMs ?? 3000) - now));
    this.runTimer = setTimeout(() => {
      this.runTimer = null;
      if (!this.closed) void this.hub.sync().catch(() => undefined);
    }, wait);
    this.runTimer.unref?.();
  }

  /** Forgets tombstones older than the keep period (hourly, and at start). */
  pruneTombstones(now = this.now()): number {
    return this.store.pruneTombstones(now - (this.opts.keepTombstonesMs ?? KEEP_TOMBSTONES_MS));
  }

  /** Cards waiting to be reconciled, per account (for the UI and tests). */
  pendingChanges(spid: Spid): number {
    return this.store.pendingChanges(spid);
  }
}

function multistatus(parts: string[], tail = ''): DavReply {
  return {
    status: 207,
    headers: { 'content-type': 'application/xml; charset=utf-8' },
    body: `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:card="${CARDDAV}" xmlns:cs="${CS}">${parts.join('')}${tail}</d:multistatus>`,
  };
}

function errorReply(e: DavError): DavReply {
  if (e.condition) {
    const pre = PREFIX[e.condition.ns]!;
    return {
      status: e.status,
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      body: `<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:card="${CARDDAV}"><${pre}:${e.condition.name}/><d:responsedescription>${esc(e.message)}</d:responsedescription></d:error>`,
    };
  }
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (e.status === 429) headers['retry-after'] = '60';
  return { status: e.status, headers, body: `${e.message}\n` };
}

// ---- addressbook-query filters (RFC 6352 §10.5) -------------------------------------------------
interface Prop {
  name: string;
  params: string;
  value: string;
}

function propsOf(body: string): Prop[] {
  const out: Prop[] = [];
  for (const line of body.replace(/\r?\n[ \t]/g, '').split(/\r?\n/)) {
    const m = /^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$/.exec(line);
    if (m) out.push({ name: m[1]!.toUpperCase(), params: m[2]!.toUpperCase(), value: m[3]! });
  }
  return out;
}

function textMatch(value: string, tm: XNode): boolean {
  const want = tm.text;
  const octet = tm.attrs.collation === 'i;octet';
  const a = octet ? value : value.toLowerCase();
  const b = octet ? want : want.toLowerCase();
  const type = tm.attrs['match-type'] ?? 'contains';
  const hit = type === 'equals' ? a === b : type === 'starts-with' ? a.startsWith(b) : type === 'ends-with' ? a.endsWith(b) : a.includes(b);
  return tm.attrs['negate-condition'] === 'yes' ? !hit : hit;
}

export function matchesFilter(body: string, filter: XNode): boolean {
  const props = propsOf(body);
  const filters = children(filter, CARDDAV, 'prop-filter');
  if (!filters.length) return true;
  const test = (pf: XNode): boolean => {
    const name = (pf.attrs.name ?? '').toUpperCase();
    const these = props.filter((p) => p.name === name);
    if (child(pf, CARDDAV, 'is-not-defined')) return these.length === 0;
    if (!these.length) return false;
    const tms = children(pf, CARDDAV, 'text-match');
    const pfs = children(pf, CARDDAV, 'param-filter');
    const all = pf.attrs.test === 'allof';
    const conds = [
      ...tms.map((tm) => () => these.some((p) => textMatch(p.value, tm))),
      ...pfs.map((f) => () => these.some((p) => p.params.includes(`${(f.attrs.name ?? '').toUpperCase()}=`) !== !!child(f, CARDDAV, 'is-not-defined'))),
    ];
    if (!conds.length) return true;
    return all ? conds.every((c) => c()) : conds.some((c) => c());
  };
  return filter.attrs.test === 'allof' ? filters.every(test) : filters.some(test);
}
