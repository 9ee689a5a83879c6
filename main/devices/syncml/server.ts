// The SyncML server (OMA DS 1.2, accepting 1.1). One SyncML session is one run of the method
// for that device (sync-method.md, "One sync run"): the client's Sync package is the
// device's reported states (a `log` device), its Final releases retrieve(), the hub's push
// becomes our Sync package, and the client's Statuses and Map are the acknowledgements.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Contact } from '../../core/contact';
import type { LateAck, ReportedRecord, Spid } from '../../core/types';
import {
  LinkLostError,
  type DeviceErrorCode,
  type ListedRecord,
  type PushOp,
  type PushResult,
  type Retrieved,
  type SkippedRecord,
  type SyncPoint,
} from '../../hub/sync-point';
import type { DeviceRecord, RunSummary } from '../../hub/types';
import { LoginLimiter, newNonce, nonceOnWire, readCred, verifyCred, type StoredCredentials } from './auth';
import { CONTENT_TYPE, decodeMessage, encodeMessage, encodingOf, versionOf, type Encoding } from './codec';
import { DEVINF_TYPE, serverDevInf } from './devinf';
import { anchorTree, commandEl, type Command, type Item, type ItemCommand, type Message, type Meta, type SyncmlVersion } from './model';
import { SyncmlCodecError } from './tree';
import { contactToVcard, vcardToCard, vcardToContact, vcardType, type VCardVersion } from './vcard';
import { wbxmlSize } from './wbxml';
import { xmlSize } from './xml';

/** What the server needs of the hub (main/hub/hub.ts `Hub` satisfies it). */
export interface SyncmlHub {
  devices(): DeviceRecord[];
  device(spid: Spid): DeviceRecord | undefined;
  updateDeviceConfig(spid: Spid, config: Record<string, unknown>): void;
  attach(point: SyncPoint): void;
  detach(spid: Spid): void;
  sync(spids?: readonly Spid[]): Promise<RunSummary>;
}

/** Per database: the anchors of the last session that completed. `prevClient`: the one
 *  before, so a client that missed our last reply (and so kept its old anchor) is not
 *  forced into a slow sync. */
export interface DbAnchors {
  client: string;
  prevClient?: string;
  server: string;
}

/** Stored under `config.syncml` of a paired device. */
export interface SyncmlDeviceConfig extends StoredCredentials {
  /** The nonce the client must use for its next MD5 credential. */
  nonce?: string;
  /** SyncHdr/Source/LocURI of the client that last logged in with these credentials. */
  deviceId?: string;
  anchors?: Record<string, DbAnchors>;
  /** The vCard version the client last sent: what it gets back (3.0 until it sends one). */
  vcardVersion?: VCardVersion;
}

export function syncmlConfigOf(d: DeviceRecord | undefined): SyncmlDeviceConfig | undefined {
  const c = d?.config?.syncml as SyncmlDeviceConfig | undefined;
  return c && typeof c.user === 'string' && typeof c.digest === 'string' ? c : undefined;
}

/** What a session received before it died, kept so that the client may resume it (Alert
 *  225) instead of starting over. This description lives in the DSS (`config.syncmlResume`
 *  of the device); the records themselves (KeptEntry) are appended, before each reply that
 *  acknowledges them, to a file in the server's `stateDir` (and held in memory), so the cost
 *  stays linear in what the client sends. One per device: a new session that does not
 *  resume replaces it. */
export interface KeptSession {
  /** SyncHdr/Source of the client. */
  deviceId: string;
  /** Our canonical database name (the anchor key). */
  db: string;
  /** The Last anchor the client alerted in the interrupted session ('' for none). */
  last: string;
  /** The interrupted session's sync mode, which a resume continues. */
  mode: SyncMode;
  /** Whether the resumed run reports the device as having lost its sync state. Once the
   *  interrupted run committed, the map it made is the hub's: a resume is a normal run. */
  lost: boolean;
  /** Session token of the session that wrote it (names its records). */
  token: string;
  /** Records were received (and acknowledged) and not yet committed by a run: a resume is
   *  possible only with them. */
  received: boolean;
}

/** One thing a session received, in order: a record ([state, LUID, vCard text]; 'L' is an
 *  entry of a refresh-from-client listing) or a Map item before the Final (['M', GUID, LUID],
 *  a late acknowledgement). */
export type KeptEntry = [state: 'A' | 'U' | 'D' | 'L' | 'M', a: string, b: string];

export function keptSessionOf(d: DeviceRecord | undefined): KeptSession | undefined {
  const k = d?.config?.syncmlResume as KeptSession | undefined;
  return k && typeof k.db === 'string' && typeof k.token === 'string' ? k : undefined;
}

export interface ServerOptions {
  /** Absolute URL of the endpoint; RespURI is built from it. */
  baseUrl: string;
  /** How long a session waits for the client's next message before the link counts as lost. */
  sessionTimeoutMs?: number;
  /** Largest message we accept (advertised as our MaxMsgSize). */
  maxMsgSize?: number;
  limiter?: LoginLimiter;
  now?: () => number;
  /** Where what a session received is kept for a resume (created if missing). Without it,
   *  it is kept in memory only: a resume after the hub's process restarted is refused
   *  (509, a normal sync) instead. */
  stateDir?: string;
}

export interface Reply {
  status: number;
  contentType: string;
  body: Uint8Array;
}

export interface Request {
  body: Uint8Array;
  contentType: string | undefined;
  /** The session token from the URL (`?s=`), if any. */
  token: string | undefined;
  remote: string;
}

type SyncMode = 'two-way' | 'slow' | 'one-way-from-client' | 'refresh-from-client' | 'one-way-from-server' | 'refresh-from-server';

const MODE_OF_ALERT: Record<number, SyncMode> = {
  200: 'two-way',
  201: 'slow',
  202: 'one-way-from-client',
  203: 'refresh-from-client',
  204: 'one-way-from-server',
  205: 'refresh-from-server',
};
const ALERT_OF_MODE: Record<SyncMode, number> = {
  'two-way': 200,
  slow: 201,
  'one-way-from-client': 202,
  'refresh-from-client': 203,
  'one-way-from-server': 204,
  'refresh-from-server': 205,
};

/** Database names a client may use for the contacts store. */
function isContactsDb(uri: string): boolean {
  return /(contact|addressbook|card|\bcon$|^con$|pab)/i.test(uri.replace(/^\.\//, ''));
}

function canonicalDb(uri: string): string {
  return uri.replace(/^\.\//, '').replace(/\?.*$/, '').toLowerCase();
}

function anchorNow(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

class Deferred<T> {
  promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        if (this.settled) return;
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        if (this.settled) return;
        this.settled = true;
        rej(e);
      };
    });
    // A rejection nobody waits for (the hub never asked) must not crash the process.
    this.promise.catch(() => undefined);
  }
}

interface OpEntry {
  op: PushOp;
  cmdId?: string;
  status?: number;
  /** The client's LUID for an ADD, from its Map. */
  mapped?: string;
  done: boolean;
}

interface DbState {
  /** Our name of the database (the client's Target). */
  name: string;
  /** The client's name (its Source), the Target of our commands. */
  clientUri: string;
  mode: SyncMode;
  clientNext: string;
  serverLast?: string;
  serverNext: string;
  anchorKey: string;
  /** The run reports the device as having lost its sync state. */
  lost: boolean;
  /** Alert 225 accepted: this session continues an interrupted one. */
  resumed: boolean;
  /** The client's Last anchor as alerted ('' for none). */
  clientLast: string;
}

type Phase = 'init' | 'receiving' | 'running' | 'sending' | 'mapping' | 'done';

/** Thrown to answer with an HTTP error instead of a SyncML message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const RESULT_CODES: Record<number, DeviceErrorCode> = {
  420: 'full',
  413: 'too-long',
  416: 'too-long',
  415: 'unsupported',
  406: 'unsupported',
  503: 'busy',
  101: 'busy',
};

export class Session {
  readonly token = randomBytes(16).toString('hex');
  readonly point: SyncmlPoint;
  phase: Phase = 'init';
  lastMsgId = 0;
  lastHash = '';
  lastReply: Promise<Reply> | null = null;
  ourMsgId = 0;
  private cmdSeq = 0;
  db: DbState | null = null;
  clientMaxMsgSize: number;
  /** The largest object the client accepts (its SyncHdr MaxObjSize; OMA's default floor). */
  clientMaxObjSize = 4_000_000;
  /** An outgoing object larger than one message, sent in pieces (MoreData). */
  /** NumberOfChanges went out (in our first Sync). */
  private announced = false;
  /** The vCard version we write to this client. */
  vcardVersion: VCardVersion = '3.0';
  private chunking: { entry: OpEntry; cmd: ItemCommand; data: Buffer; offset: number } | null = null;
  // retrieve
  readonly records: ReportedRecord[] = [];
  readonly listing: ListedRecord[] = [];
  readonly skipped: SkippedRecord[] = [];
  readonly lateAcks: LateAck[] = [];
  /** This session as kept for a resume, and what it received since it was last written. */
  private kept: KeptSession | null = null;
  private keptNew: KeptEntry[] = [];
  private keptMetaDirty = false;
  /** A large object arriving in pieces (MoreData): the chunks so far. */
  private partial: { kind: ItemCommand['kind']; luid: string; chunks: string[]; size: number } | null = null;
  readonly retrieved = new Deferred<Retrieved>();
  /** Settles when the hub calls push() or finish(), or its run ends without either. */
  readonly pushReady = new Deferred<void>();
  readonly pushDone = new Deferred<void>();
  ops: OpEntry[] = [];
  private sent = 0;
  private onAcks: ((r: PushResult[]) => void) | null = null;
  private readonly byCmd = new Map<string, OpEntry>();
  private readonly byGuid = new Map<string, OpEntry>();
  runFailed = false;
  pushStarted = false;
  run: Promise<unknown> | null = null;
  timer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(
    readonly server: SyncmlServer,
    readonly spid: Spid,
    readonly deviceId: string,
    readonly clientSessionId: string,
    readonly encoding: Encoding,
    readonly version: SyncmlVersion,
    readonly serverUri: string,
    clientMaxMsgSize: number | undefined,
  ) {
    this.point = new SyncmlPoint(this);
    this.clientMaxMsgSize = clientMaxMsgSize ?? 1_000_000;
  }

  nextCmdId(): string {
    return String(++this.cmdSeq);
  }

  /** The link is gone: whatever the hub waits for fails with LinkLostError. */
  abort(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const e = new LinkLostError(reason);
    this.retrieved.reject(e);
    this.pushReady.resolve();
    this.pushDone.reject(e);
  }

  // ---- the SyncPoint side --------------------------------------------------------------

  startPush(ops: readonly PushOp[], onAcks: (r: PushResult[]) => void): Promise<void> {
    this.ops = ops.map((op) => ({ op, done: false }));
    for (const e of this.ops) if (e.op.action === 'ADD') this.byGuid.set(e.op.guid, e);
    this.onAcks = onAcks;
    this.pushStarted = true;
    // The hub pushes after its commit: what the client sent is in the truth now.
    this.server.committed(this);
    if (this.closed) return Promise.reject(new LinkLostError('the SyncML session ended'));
    this.pushReady.resolve();
    if (this.ops.length === 0) this.pushDone.resolve();
    return this.pushDone.promise;
  }

  // ---- acknowledgements ----------------------------------------------------------------

  /** Turns the Statuses and Map items received so far into PushResults and hands them to
   *  the hub (which commits them), one batch per client message. `final`: the session is
   *  over, so an ADD whose Map never came is answered as refused (it stays pending). */
  flushAcks(final: boolean): void {
    const results: PushResult[] = [];
    for (const e of this.ops) {
      if (e.done || e.status === undefined) continue;
      const ok = e.status >= 200 && e.status < 300;
      const gone = e.op.action === 'DELETE' && (e.status === 211 || e.status === 404);
      if (ok || gone) {
        if (e.op.action === 'ADD') {
          if (e.mapped === undefined) {
            if (!final) continue;
            e.done = true;
            results.push({ op: e.op, ok: false, error: { code: 'rejected', message: 'the client sent no Map for the added contact' } });
            continue;
          }
          e.done = true;
          results.push({ op: e.op, ok: true, luid: e.mapped });
        } else {
          e.done = true;
          results.push({ op: e.op, ok: true, luid: e.op.luid ?? '' });
        }
      } else {
        e.done = true;
        results.push({
          op: e.op,
          ok: false,
          error: { code: RESULT_CODES[e.status] ?? 'rejected', message: `the client answered status ${e.status}` },
        });
      }
    }
    if (final) {
      for (const e of this.ops) {
        if (e.done || e.cmdId === undefined) continue;
        // Sent, never answered at the end of a session: refused for this run.
        e.done = true;
        results.push({ op: e.op, ok: false, error: { code: 'busy', message: 'the client did not answer this change' } });
      }
    }
    if (results.length && this.onAcks) {
      try {
        this.onAcks(results);
      } catch (err) {
        this.pushDone.reject(err);
        return;
      }
    }
    if (this.ops.every((e) => e.done)) this.pushDone.resolve();
  }

  // ---- one client message --------------------------------------------------------------

  async handle(msg: Message, authStatus: Command | null): Promise<Message> {
    const out: Command[] = [];
    if (authStatus) authStatus.cmdId = this.nextCmdId();
    out.push(
      authStatus ?? {
        kind: 'Status',
        cmdId: this.nextCmdId(),
        msgRef: msg.hdr.msgId,
        cmdRef: '0',
        cmd: 'SyncHdr',
        targetRef: msg.hdr.target,
        sourceRef: msg.hdr.source,
        data: 200,
      },
    );
    const status = (c: { cmdId: string }, cmd: string, data: number, extra: Partial<Extract<Command, { kind: 'Status' }>> = {}) => {
      if ((c as { noResp?: boolean }).noResp) return;
      out.push({ kind: 'Status', cmdId: this.nextCmdId(), msgRef: msg.hdr.msgId, cmdRef: c.cmdId, cmd, data, ...extra });
    };
    const ours: Command[] = [];

    for (const c of msg.body) {
      switch (c.kind) {
        case 'Status': {
          const e = this.byCmd.get(c.cmdRef);
          if (e && (c.cmd === 'Add' || c.cmd === 'Replace' || c.cmd === 'Delete') && !e.done) e.status = c.data;
          break;
        }
        case 'Alert': {
          if (c.data === 222) {
            status(c, 'Alert', 200);
            break;
          }
          const item = c.items[0];
          const mode = MODE_OF_ALERT[c.data];
          if (!item || (!mode && c.data !== 225)) {
            status(c, 'Alert', 406);
            break;
          }
          if (this.phase !== 'init' || this.db) {
            status(c, 'Alert', 400); // a second sync alert, or one after the init package
            break;
          }
          const target = item.target ?? '';
          if (!isContactsDb(target)) {
            status(c, 'Alert', 404, { targetRef: target, ...(item.source ? { sourceRef: item.source } : {}) });
            break;
          }
          const { code, db, kept } = this.server.alertDb(this, target, item.source ?? target, c.data, item.meta?.anchor ?? {});
          this.db = db;
          this.startKeeping(db, kept);
          status(c, 'Alert', code, {
            targetRef: target,
            ...(item.source ? { sourceRef: item.source } : {}),
            items: [{ dataTree: anchorTree({ next: db.clientNext }) }],
          });
          ours.push({
            kind: 'Alert',
            cmdId: this.nextCmdId(),
            data: ALERT_OF_MODE[db.mode],
            items: [
              {
                target: db.clientUri,
                source: db.name,
                meta: { anchor: { ...(db.serverLast ? { last: db.serverLast } : {}), next: db.serverNext } },
              },
            ],
          });
          break;
        }
        case 'Put':
          status(c, 'Put', 200, c.items[0]?.source ? { sourceRef: c.items[0].source } : {});
          break;
        case 'Get': {
          const target = c.items[0]?.target ?? '';
          if (/^\.\/devinf1[012]$/.test(target)) {
            status(c, 'Get', 200, { targetRef: target });
            ours.push({
              kind: 'Results',
              cmdId: this.nextCmdId(),
              msgRef: msg.hdr.msgId,
              cmdRef: c.cmdId,
              meta: { type: DEVINF_TYPE[this.encoding] },
              items: [{ source: target, dataTree: serverDevInf(this.version, this.db?.name ?? 'addressbook') }],
            });
          } else status(c, 'Get', 404, { targetRef: target });
          break;
        }
        case 'Results':
          status(c, 'Results', 200);
          break;
        case 'Map': {
          for (const mi of c.items) this.mapItem(mi.target, mi.source);
          status(c, 'Map', 200, { targetRef: c.target, sourceRef: c.source });
          break;
        }
        case 'Sync':
          this.clientSync(c, msg, status);
          break;
        case 'Add':
        case 'Replace':
        case 'Delete':
        case 'Copy':
        case 'Move':
        case 'Other':
          // Outside a Sync these do not belong to a data store we serve.
          status(c, c.kind === 'Other' ? c.name : c.kind, 406);
          break;
      }
    }

    if (this.kept && (this.keptMetaDirty || this.keptNew.length) && (this.phase === 'init' || this.phase === 'receiving')) {
      // Before the reply that acknowledges them: a client that resumes will not resend them.
      this.server.keep(this, this.kept, this.keptNew, this.keptMetaDirty);
      this.keptNew = [];
      this.keptMetaDirty = false;
    }
    let final = false;
    switch (this.phase) {
      case 'init':
        if (msg.final) {
          final = true;
          if (this.db) {
            this.phase = 'receiving';
            this.server.startRun(this);
          } else this.phase = 'done';
        }
        break;
      case 'receiving':
        if (msg.final) {
          if (this.partial) this.skipped.push({ luid: this.partial.luid, reason: 'the client never finished sending it (MoreData)' });
          this.partial = null;
          this.phase = 'running';
          this.retrieved.resolve(this.retrievedValue());
          await this.pushReady.promise;
          if (this.closed) throw new HttpError(503, 'the session was aborted');
          // The run failed before its commit: nothing the client sent was taken. An HTTP
          // error makes the client keep its change log and anchors for the next session.
          if (this.server.runFailedBeforePush(this)) throw new HttpError(500, 'the sync run failed; nothing was changed');
          this.phase = 'sending';
          final = this.fillSync(ours, out);
          if (final) this.phase = 'mapping';
        }
        break;
      case 'sending':
        this.flushAcks(false);
        final = this.fillSync(ours, out);
        if (final) this.phase = 'mapping';
        break;
      case 'mapping':
        this.flushAcks(msg.final);
        if (msg.final) {
          final = true;
          this.phase = 'done';
          this.server.completed(this);
        }
        break;
      case 'running':
      case 'done':
        // A new message after the end (not a resend): nothing more to do but answer it.
        final = msg.final;
        break;
    }
    return {
      hdr: {
        verDTD: this.version,
        verProto: `SyncML/${this.version}`,
        sessionId: this.clientSessionId,
        msgId: String(++this.ourMsgId),
        target: this.deviceId,
        source: this.serverUri,
        ...(this.phase !== 'done' ? { respUri: this.server.respUri(this) } : {}),
        meta: { maxMsgSize: this.server.maxMsgSize },
      },
      body: [...out, ...ours],
      final,
    };
  }

  /** Starts this session's KeptSession; a resumed session begins with what the
   *  interrupted one received. */
  private startKeeping(db: DbState, resumed: KeptEntry[] | undefined): void {
    this.kept = {
      deviceId: this.deviceId,
      db: db.anchorKey,
      last: db.clientLast,
      mode: db.mode,
      lost: db.lost,
      token: this.token,
      received: false,
    };
    this.keptMetaDirty = true;
    for (const [state, a, b] of resumed ?? []) {
      if (state === 'M') {
        this.lateAck(a, b);
        continue;
      }
      let contact: Contact | null = null;
      if (state !== 'D') {
        try {
          contact = vcardToContact(b);
        } catch (e) {
          this.skipped.push({ luid: a, reason: (e as Error).message });
          continue;
        }
      }
      this.take(state, a, b, contact);
    }
  }

  private lateAck(guid: string, luid: string): void {
    this.lateAcks.push({ guid, action: 'ADD', luid });
    this.keptNew.push(['M', guid, luid]);
  }

  /** The client writes this vCard version: remember it for what we send it. */
  private sawVersion(v: VCardVersion): void {
    if (v === this.vcardVersion) return;
    this.vcardVersion = v;
    this.server.rememberVersion(this, v);
  }

  /** One record from the client (state as in KeptSession.records). */
  private take(state: 'A' | 'U' | 'D' | 'L', luid: string, text: string, contact: Contact | null): void {
    if (state === 'L') this.listing.push({ luid, data: contact as Contact });
    else if (state === 'D') this.records.push({ luid, state: 'DELETED' });
    else this.records.push({ luid, state: state === 'A' ? 'ADDED' : 'UPDATED', data: contact as Contact });
    this.keptNew.push([state, luid, text]);
  }

  private mapItem(guid: string, luid: string): void {
    if (!guid || !luid) return;
    const e = this.byGuid.get(guid);
    if (e && this.phase !== 'init' && this.phase !== 'receiving') {
      e.mapped = luid;
      return;
    }
    if (this.phase === 'init' || this.phase === 'receiving') {
      // A Map resent from an earlier session whose reply never arrived: a late
      // acknowledgement (sync-method.md, "A late acknowledgement").
      this.lateAck(guid, luid);
    }
  }

  private clientSync(
    c: Extract<Command, { kind: 'Sync' }>,
    msg: Message,
    status: (c: { cmdId: string }, cmd: string, data: number, extra?: Partial<Extract<Command, { kind: 'Status' }>>) => void,
  ): void {
    const db = this.db;
    if (!db || (this.phase !== 'receiving' && this.phase !== 'init')) {
      status(c, 'Sync', db ? 400 : 404, { ...(c.target ? { targetRef: c.target } : {}) });
      return;
    }
    if (c.target !== undefined && canonicalDb(c.target) !== canonicalDb(db.name)) {
      status(c, 'Sync', 404, { targetRef: c.target });
      return;
    }
    status(c, 'Sync', 200, { ...(c.target ? { targetRef: c.target } : {}), ...(c.source ? { sourceRef: c.source } : {}) });
    const fromServerOnly = db.mode === 'one-way-from-server' || db.mode === 'refresh-from-server';
    for (const cmd of c.commands) {
      for (const item of cmd.items) {
        const st = (code: number) =>
          status(cmd, cmd.kind, code, { ...(item.source ? { sourceRef: item.source } : {}), ...(item.target ? { targetRef: item.target } : {}) });
        if (fromServerOnly) {
          st(403); // the client asked us not to take its changes
          continue;
        }
        const luid = item.source ?? item.target;
        if (!luid) {
          st(400);
          continue;
        }
        if (cmd.kind === 'Copy' || cmd.kind === 'Move') {
          st(406);
          continue;
        }
        if (cmd.kind === 'Delete') {
          // A slow or refresh sync lists what the client holds; a Delete says nothing there.
          if (db.mode === 'two-way' || db.mode === 'one-way-from-client') this.take('D', luid, '', null);
          st(200);
          continue;
        }
        const text = this.assemble(cmd.kind, luid, item, cmd);
        if (text === null) {
          st(213); // chunk accepted; the rest follows
          continue;
        }
        if (text === undefined) {
          st(424); // size mismatch of a large object
          continue;
        }
        let contact: Contact;
        try {
          const card = vcardToCard(text);
          contact = card.contact;
          this.sawVersion(card.version);
        } catch (e) {
          this.skipped.push({ luid, reason: (e as Error).message });
          st(415);
          continue;
        }
        this.take(db.mode === 'refresh-from-client' ? 'L' : db.mode === 'slow' || cmd.kind === 'Add' ? 'A' : 'U', luid, text, contact);
        st(cmd.kind === 'Add' ? 201 : 200);
      }
    }
    void msg;
  }

  /** Joins the pieces of a large object (MoreData). null: more to come; undefined: the
   *  pieces do not add up to the announced size. */
  private assemble(kind: ItemCommand['kind'], luid: string, item: Item, cmd: ItemCommand): string | null | undefined {
    const data = item.data ?? '';
    if (this.partial && this.partial.luid === luid) {
      this.partial.chunks.push(data);
      if (item.moreData) return null;
      const whole = this.partial.chunks.join('');
      const size = this.partial.size;
      this.partial = null;
      return size && Buffer.byteLength(whole) !== size ? undefined : whole;
    }
    if (item.moreData) {
      const size = item.meta?.size ?? cmd.meta?.size ?? 0;
      if (size > this.server.maxObjSize) return undefined;
      this.partial = { kind, luid, chunks: [data], size };
      return null;
    }
    return data;
  }

  private retrievedValue(): Retrieved {
    const db = this.db as DbState;
    if (db.mode === 'refresh-from-client') {
      // The client's data replaces the hub's view of it: a full listing, from which the
      // hub derives what the client deleted.
      return { changeTracking: 'snapshot', lostSyncState: false, listing: lastByLuid(this.listing), skipped: this.skipped };
    }
    return {
      changeTracking: 'log',
      lostSyncState: db.lost,
      records: db.resumed ? lastByLuid(this.records) : this.records,
      lateAcks: this.lateAcks,
      skipped: this.skipped,
    };
  }

  /** Puts as many unsent ops into one Sync as the client's MaxMsgSize allows. Returns true
   *  when the package is complete (Final). */
  private fillSync(ours: Command[], out: Command[]): boolean {
    const db = this.db;
    if (!db) return true;
    const toClient = db.mode !== 'one-way-from-client' && db.mode !== 'refresh-from-client';
    if (!toClient) {
      // The hub's actions stay pending: this client asked not to receive anything now.
      const refused: PushResult[] = this.ops
        .filter((e) => !e.done)
        .map((e) => {
          e.done = true;
          return { op: e.op, ok: false as const, error: { code: 'busy' as const, message: 'one-way sync from the client' } };
        });
      if (refused.length && this.onAcks) {
        try {
          this.onAcks(refused);
        } catch (err) {
          this.pushDone.reject(err);
        }
      }
      this.pushDone.resolve();
    }
    const size = (c: Command) => (this.encoding === 'wbxml' ? wbxmlSize(commandEl(c)) : xmlSize(commandEl(c), 'syncml'));
    let budget = Math.floor(this.clientMaxMsgSize * 0.9) - 600;
    for (const c of [...out, ...ours]) budget -= size(c);
    const sync: Extract<Command, { kind: 'Sync' }> = {
      kind: 'Sync',
      cmdId: this.nextCmdId(),
      target: db.clientUri,
      source: db.name,
      commands: [],
    };
    if (!this.announced && toClient) {
      sync.numberOfChanges = this.ops.length;
      this.announced = true;
    }
    budget -= size(sync);
    const emptyBudget = Math.floor(this.clientMaxMsgSize * 0.9) - 800 - size(sync);
    while (toClient && (this.chunking || this.sent < this.ops.length)) {
      if (this.chunking) {
        // The next piece of a large object fills the rest of this message (or the next
        // one, when our Statuses left too little room here).
        if (budget >= 1024) this.nextChunk(sync, budget, size);
        break;
      }
      const e = this.ops[this.sent] as OpEntry;
      const cmd = this.opCommand(e.op);
      const bytes = Buffer.byteLength(cmd.items[0]?.data ?? '', 'utf8');
      if (bytes > this.clientMaxObjSize) {
        this.sent++;
        this.refuse(e, 'too-long', `the contact (${bytes} bytes) exceeds the client's MaxObjSize (${this.clientMaxObjSize})`);
        continue;
      }
      const s = size(cmd);
      if (s > budget && sync.commands.length > 0) break;
      if (s > emptyBudget && cmd.kind !== 'Delete') {
        // Larger than any message the client takes: in pieces (MoreData), from a message
        // with room for a fair first piece.
        if (budget < Math.min(4096, emptyBudget / 4)) break;
        this.sent++;
        const data = Buffer.from(cmd.items[0]?.data ?? '', 'utf8');
        this.chunking = { entry: e, cmd, data, offset: 0 };
        this.nextChunk(sync, budget, size);
        break;
      }
      this.sent++;
      budget -= s;
      e.cmdId = cmd.cmdId;
      this.byCmd.set(cmd.cmdId, e);
      sync.commands.push(cmd);
    }
    ours.push(sync);
    return !toClient || (this.sent >= this.ops.length && !this.chunking);
  }

  /** Puts the next piece of the object being chunked into `sync`. Returns true when that
   *  was its last piece (its Status then acknowledges the whole object). */
  private nextChunk(sync: Extract<Command, { kind: 'Sync' }>, budget: number, size: (c: Command) => number): boolean {
    const ch = this.chunking as NonNullable<Session['chunking']>;
    const first = ch.offset === 0;
    const item0 = ch.cmd.items[0] as Item;
    const piece = (n: number): ItemCommand => {
      let end = Math.min(ch.data.length, ch.offset + n);
      // never split a UTF-8 sequence: the pieces are joined as text
      while (end < ch.data.length && end > ch.offset && ((ch.data[end] as number) & 0xc0) === 0x80) end--;
      const more = end < ch.data.length;
      return {
        ...ch.cmd,
        cmdId: '0',
        items: [
          {
            ...item0,
            data: ch.data.subarray(ch.offset, end).toString('utf8'),
            ...(first ? { meta: { size: ch.data.length } } : {}),
            ...(more ? { moreData: true } : {}),
          },
        ],
      };
    };
    const overhead = size(piece(0));
    let n = Math.max(256, budget - overhead - 64);
    let cmd = piece(n);
    while (size(cmd) > budget && n > 256) {
      n = Math.floor(n * 0.8);
      cmd = piece(n);
    }
    cmd.cmdId = this.nextCmdId();
    const it = cmd.items[0] as Item;
    ch.offset += Buffer.byteLength(it.data ?? '', 'utf8');
    sync.commands.push(cmd);
    if (it.moreData) return false;
    ch.entry.cmdId = cmd.cmdId;
    this.byCmd.set(cmd.cmdId, ch.entry);
    this.chunking = null;
    return true;
  }

  /** An op the client cannot take at all: answered for the hub at once (stays pending). */
  private refuse(e: OpEntry, code: DeviceErrorCode, message: string): void {
    e.done = true;
    if (!this.onAcks) return;
    try {
      this.onAcks([{ op: e.op, ok: false, error: { code, message } }]);
    } catch (err) {
      this.pushDone.reject(err);
    }
  }

  private opCommand(op: PushOp): ItemCommand {
    const cmdId = this.nextCmdId();
    const v = this.vcardVersion;
    const type = { type: vcardType(v) };
    switch (op.action) {
      case 'ADD':
        return { kind: 'Add', cmdId, meta: type, items: [{ source: op.guid, data: contactToVcard(op.data as Contact, v) }] };
      case 'UPDATE':
        return {
          kind: 'Replace',
          cmdId,
          meta: type,
          items: [{ target: op.luid ?? '', source: op.guid, data: contactToVcard(op.data as Contact, v) }],
        };
      case 'DELETE':
        return { kind: 'Delete', cmdId, items: [{ target: op.luid ?? '', source: op.guid }] };
    }
  }
}

/** The SyncPoint a session puts online for its run. */
export class SyncmlPoint implements SyncPoint {
  readonly changeTracking = 'log' as const;
  readonly capacity = {};
  constructor(private readonly session: Session) {}
  get spid(): Spid {
    return this.session.spid;
  }
  retrieve(): Promise<Retrieved> {
    return this.session.retrieved.promise;
  }
  push(ops: readonly PushOp[], onAcks: (results: PushResult[]) => void): Promise<void> {
    return this.session.startPush(ops, onAcks);
  }
  async finish(_pushCompleted: boolean): Promise<void> {
    // Nothing to push (or the hub is done pushing): the reply waiting for it may go.
    this.session.pushReady.resolve();
  }
}

/** A resumed session may receive again what the interrupted one had (its status never
 *  reached the client): the latest report of each LUID counts. */
function lastByLuid<T extends { luid: string }>(list: T[]): T[] {
  const by = new Map<string, T>();
  for (const r of list) {
    by.delete(r.luid);
    by.set(r.luid, r);
  }
  return [...by.values()];
}

function digest(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex');
}

export class SyncmlServer {
  private readonly sessions = new Map<string, Session>();
  /** First-message resends arrive at the base URL: (device id, session id) → session. */
  private readonly byClient = new Map<string, Session>();
  private readonly active = new Map<Spid, Session>();
  readonly limiter: LoginLimiter;
  readonly maxMsgSize: number;
  readonly maxObjSize = 4_000_000;
  /** Session token → what that session received (see KeptSession). */
  private readonly keptMem = new Map<string, KeptEntry[]>();
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly hub: SyncmlHub,
    private readonly opts: ServerOptions,
  ) {
    this.limiter = opts.limiter ?? new LoginLimiter();
    this.maxMsgSize = opts.maxMsgSize ?? 1_000_000;
    this.timeoutMs = opts.sessionTimeoutMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  respUri(s: Session): string {
    return `${this.opts.baseUrl}?s=${s.token}`;
  }

  /** Every session is dropped: the hub's waits fail with LinkLostError. */
  close(): void {
    for (const s of this.sessions.values()) s.abort('the SyncML endpoint was closed');
    this.sessions.clear();
    this.byClient.clear();
  }

  async handle(req: Request): Promise<Reply> {
    const encoding = encodingOf(req.contentType);
    if (!encoding) return plain(415, 'SyncML requests are application/vnd.syncml+xml or +wbxml');
    if (req.body.length > this.maxMsgSize) return plain(413, 'message too large');
    let msg: Message;
    try {
      msg = decodeMessage(req.body, encoding);
    } catch (e) {
      if (e instanceof SyncmlCodecError || e instanceof TypeError) return plain(400, `malformed SyncML: ${(e as Error).message}`);
      throw e;
    }
    try {
      return await this.dispatch(req, msg, encoding);
    } catch (e) {
      if (e instanceof HttpError) return plain(e.status, e.message);
      throw e;
    }
  }

  private async dispatch(req: Request, msg: Message, encoding: Encoding): Promise<Reply> {
    const hash = digest(req.body);
    if (req.token !== undefined) {
      const s = this.sessions.get(req.token);
      if (!s) throw new HttpError(404, 'no such SyncML session (it may have timed out)');
      if (s.deviceId !== msg.hdr.source || s.clientSessionId !== msg.hdr.sessionId) {
        throw new HttpError(400, 'the message does not belong to this session');
      }
      return this.inSession(s, msg, hash, null);
    }
    // No token: the first message of a session, or a resend of it.
    const key = `${msg.hdr.source}\u0000${msg.hdr.sessionId}`;
    const known = this.byClient.get(key);
    if (known && String(known.lastMsgId) === msg.hdr.msgId && known.lastHash === hash && known.lastReply) {
      return known.lastReply;
    }
    return this.login(req, msg, encoding, hash);
  }

  private async inSession(s: Session, msg: Message, hash: string, authStatus: Command | null): Promise<Reply> {
    const id = Number(msg.hdr.msgId);
    if (id === s.lastMsgId && hash === s.lastHash && s.lastReply) return s.lastReply; // a resend
    if (id !== s.lastMsgId + 1) throw new HttpError(400, `message ${msg.hdr.msgId} out of order (expected ${s.lastMsgId + 1})`);
    if (s.closed) throw new HttpError(404, 'the SyncML session has ended');
    if (s.timer) clearTimeout(s.timer);
    s.lastMsgId = id;
    s.lastHash = hash;
    const reply = (async (): Promise<Reply> => {
      const out = await s.handle(msg, authStatus);
      return { status: 200, contentType: CONTENT_TYPE[s.encoding], body: encodeMessage(out, s.encoding, s.version) };
    })();
    s.lastReply = reply;
    reply
      .then(() => this.arm(s))
      .catch(() => {
        s.abort('the session failed');
        this.drop(s);
      });
    return reply;
  }

  /** Waits for the client's next message; a client that does not come back has lost its
   *  link (LinkLostError for the hub). Finished sessions linger for resends, then go. */
  private arm(s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (s.phase !== 'done') s.abort('the SyncML client stopped answering');
      this.drop(s);
    }, this.timeoutMs);
    s.timer.unref?.();
  }

  private drop(s: Session): void {
    if (s.timer) clearTimeout(s.timer);
    this.sessions.delete(s.token);
    const key = `${s.deviceId}\u0000${s.clientSessionId}`;
    if (this.byClient.get(key) === s) this.byClient.delete(key);
    if (this.active.get(s.spid) === s) this.active.delete(s.spid);
  }

  private async login(req: Request, msg: Message, encoding: Encoding, hash: string): Promise<Reply> {
    const version = versionOf(msg);
    const cred = msg.hdr.cred ? readCred(msg.hdr.cred.meta?.type, msg.hdr.cred.data, msg.hdr.sourceName) : null;
    const user = cred?.user ?? msg.hdr.sourceName ?? '';
    const limitKey = `${req.remote}\u0000${user}`;
    const device = this.hub.devices().find((d) => d.kind === 'syncml' && syncmlConfigOf(d)?.user === user && user !== '');
    const conf = syncmlConfigOf(device);
    const md5 = cred ? cred.kind === 'md5' : true;
    const refuse = (code: 401 | 407, nonce?: string): Reply => {
      const body: Command[] = [
        hdrStatus(
          msg,
          code,
          nonce !== undefined || !md5
            ? md5
              ? { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonceOnWire(nonce as string) }
              : { type: 'syncml:auth-basic', format: 'b64' }
            : undefined,
        ),
      ];
      const out: Message = {
        hdr: {
          verDTD: version,
          verProto: `SyncML/${version}`,
          sessionId: msg.hdr.sessionId,
          msgId: '1',
          target: msg.hdr.source,
          source: msg.hdr.target,
        },
        body,
        final: true,
      };
      return { status: 200, contentType: CONTENT_TYPE[encoding], body: encodeMessage(out, encoding, version) };
    };
    if (this.limiter.blocked(limitKey)) return plain(429, 'too many failed logins; try again later');
    if (!device || !conf || !cred) {
      if (cred) this.limiter.failed(limitKey);
      // Unknown devices are refused; a client that sent nothing is told how to log in.
      return refuse(cred ? 401 : 407, newNonce());
    }
    if (!verifyCred(cred, conf, conf.nonce)) {
      this.limiter.failed(limitKey);
      const nonce = newNonce();
      this.hub.updateDeviceConfig(device.spid, { syncml: { ...conf, nonce } });
      return refuse(401, nonce);
    }
    this.limiter.succeeded(limitKey);
    // Authenticated. The next session's MD5 credential uses a fresh nonce (212 + Chal).
    const nonce = newNonce();
    const fresh = this.hub.device(device.spid);
    const cur = syncmlConfigOf(fresh) ?? conf;
    const idChanged = cur.deviceId !== undefined && cur.deviceId !== msg.hdr.source;
    this.hub.updateDeviceConfig(device.spid, {
      syncml: {
        ...cur,
        nonce,
        deviceId: msg.hdr.source,
        // Another client installation under the same login: its anchors mean nothing here.
        ...(idChanged ? { anchors: {} } : {}),
      },
    });
    const authStatus = hdrStatus(msg, 212, cred.kind === 'md5' ? { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonceOnWire(nonce) } : undefined);
    // A session may start at a later message: after a 401 the client retries within the
    // same SyncML session with its next MsgID.
    const firstId = Number(msg.hdr.msgId);
    if (!Number.isSafeInteger(firstId) || firstId < 1) throw new HttpError(400, 'bad MsgID');
    const old = this.active.get(device.spid);
    if (old) {
      // The same device starts over: its earlier session is gone for good.
      old.abort('the client started a new session');
      this.drop(old);
      if (old.run) await Promise.race([old.run.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    }
    const s = new Session(this, device.spid, msg.hdr.source, msg.hdr.sessionId, encoding, version, msg.hdr.target, msg.hdr.meta?.maxMsgSize);
    if (msg.hdr.meta?.maxObjSize) s.clientMaxObjSize = msg.hdr.meta.maxObjSize;
    s.vcardVersion = syncmlConfigOf(this.hub.device(device.spid))?.vcardVersion ?? '3.0';
    s.lastMsgId = firstId - 1;
    this.sessions.set(s.token, s);
    this.byClient.set(`${msg.hdr.source}\u0000${msg.hdr.sessionId}`, s);
    this.active.set(device.spid, s);
    return this.inSession(s, msg, hash, authStatus);
  }

  /** Decides the sync mode of one database from the client's Alert and our anchors.
   *  `kept`: what the interrupted session had received, when a resume is accepted. */
  alertDb(
    s: Session,
    target: string,
    clientUri: string,
    code: number,
    anchor: { last?: string; next?: string },
  ): { code: number; db: DbState; kept?: KeptEntry[] } {
    const device = this.hub.device(s.spid);
    const conf = syncmlConfigOf(device);
    const anchorKey = canonicalDb(target);
    const stored = conf?.anchors?.[anchorKey];
    const serverNext = anchorNow(this.now());
    let mode: SyncMode = MODE_OF_ALERT[code] ?? 'slow';
    let status = 200;
    let kept: KeptEntry[] | undefined;
    let keptMode: SyncMode | undefined;
    let keptLost = false;
    const last = anchor.last ?? '';
    const anchorsMatch = !!stored && last !== '' && (last === stored.client || last === stored.prevClient);
    if (code === 225) {
      // Resume of an interrupted session (OMA DS 1.2): accepted when we kept what that
      // session received and the client alerts the same Last anchor; its records join
      // this run's. Otherwise 509 ("cannot resume", a normal sync) when the anchors still
      // match — the client then resends its whole change log, which the method recovers
      // from — and 508 (slow sync) only when they do not.
      const k = keptSessionOf(device);
      const entries = k && k.db === anchorKey && k.deviceId === s.deviceId && k.last === last ? this.keptEntries(k) : null;
      if (k && entries) {
        kept = entries;
        keptMode = mode = k.mode;
        keptLost = k.lost;
      } else if (anchorsMatch) {
        status = 509;
        mode = 'two-way';
      } else {
        status = 508;
        mode = 'slow';
      }
    } else if ((mode === 'two-way' || mode === 'one-way-from-client' || mode === 'one-way-from-server') && !anchorsMatch) {
      // Anchor mismatch: the client's change log cannot be trusted against ours; slow sync
      // (lostSyncState for the method).
      status = 508;
      mode = 'slow';
    }
    const lost = keptMode ? keptLost : mode === 'slow' || mode === 'refresh-from-server';
    return {
      code: status,
      db: {
        name: target,
        clientUri,
        mode,
        clientNext: anchor.next ?? '',
        ...(stored?.server ? { serverLast: stored.server } : {}),
        serverNext,
        anchorKey,
        lost,
        resumed: kept !== undefined,
        clientLast: last,
      },
      ...(kept ? { kept } : {}),
    };
  }

  rememberVersion(s: Session, v: VCardVersion): void {
    const conf = syncmlConfigOf(this.hub.device(s.spid));
    if (conf && conf.vcardVersion !== v) this.hub.updateDeviceConfig(s.spid, { syncml: { ...conf, vcardVersion: v } });
  }

  /** Writes what session `s` has received since the last call (and its description, when
   *  it changed), before the reply that acknowledges it. */
  keep(s: Session, meta: KeptSession, entries: readonly KeptEntry[], metaChanged: boolean): void {
    if (!this.hub.device(s.spid)) return;
    if (entries.length && !meta.received) {
      meta.received = true;
      metaChanged = true;
    }
    if (metaChanged) {
      const old = keptSessionOf(this.hub.device(s.spid));
      if (old && old.token !== meta.token) this.dropEntries(old.token);
      this.hub.updateDeviceConfig(s.spid, { syncmlResume: { ...meta } });
    }
    if (!entries.length) return;
    let mem = this.keptMem.get(meta.token);
    if (!mem) this.keptMem.set(meta.token, (mem = []));
    for (const e of entries) mem.push(e);
    const file = this.keptFile(meta.token);
    if (file) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.appendFileSync(file, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      } catch {
        // The memory copy still serves a resume while this process lives.
      }
    }
  }

  /** What the kept session received; null when that is no longer known (a restart
   *  without a stateDir), so it cannot be resumed. */
  private keptEntries(k: KeptSession): KeptEntry[] | null {
    const mem = this.keptMem.get(k.token);
    if (mem) return mem;
    const file = this.keptFile(k.token);
    if (file && fs.existsSync(file)) {
      const out: KeptEntry[] = [];
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as KeptEntry);
        } catch {
          break; // a line cut short by a crash: its reply never left
        }
      }
      return out;
    }
    return k.received ? null : [];
  }

  private keptFile(token: string): string | null {
    return this.opts.stateDir && /^[0-9a-f]+$/.test(token) ? path.join(this.opts.stateDir, `resume-${token}.jsonl`) : null;
  }

  private dropEntries(token: string): void {
    this.keptMem.delete(token);
    const file = this.keptFile(token);
    if (file) fs.rmSync(file, { force: true });
  }

  /** The run of session `s` committed what the client sent: a resume must not feed it in
   *  again, and the device's map is the hub's again. */
  committed(s: Session): void {
    const k = keptSessionOf(this.hub.device(s.spid));
    if (k && k.token === s.token) {
      // A refresh-from-client listing is complete only with what the run took: a resume
      // of it continues as one-way from the client (still no writes to the client).
      const mode = k.mode === 'refresh-from-client' ? 'one-way-from-client' : k.mode;
      this.hub.updateDeviceConfig(s.spid, { syncmlResume: { ...k, mode, lost: false, received: false } });
    }
    this.dropEntries(s.token);
  }

  startRun(s: Session): void {
    this.hub.attach(s.point);
    const run = this.hub.sync([s.spid]);
    s.run = run;
    run
      .then((summary) => {
        if (summary.outcome === 'failed' || summary.counts[s.spid]?.error !== undefined) s.runFailed = true;
        else if (!s.pushStarted && s.phase !== 'done') this.committed(s);
      })
      .catch(() => {
        s.runFailed = true;
      })
      .finally(() => {
        // The run is over without a push (nothing to send, or it failed): let the reply go.
        s.pushReady.resolve();
        if (this.active.get(s.spid) === s || !this.active.has(s.spid)) this.hub.detach(s.spid);
      });
  }

  runFailedBeforePush(s: Session): boolean {
    return s.runFailed && !s.pushStarted;
  }

  /** The client closed the session: its anchors and ours move on. */
  completed(s: Session): void {
    const db = s.db;
    if (db && !this.runFailedBeforePush(s)) {
      const conf = syncmlConfigOf(this.hub.device(s.spid));
      if (conf) {
        const prev = conf.anchors?.[db.anchorKey];
        const anchors = { ...(conf.anchors ?? {}) };
        anchors[db.anchorKey] = { client: db.clientNext, ...(prev ? { prevClient: prev.client } : {}), server: db.serverNext };
        // The kept session stays (emptied at the commit): a client that missed our last
        // reply asks to resume it, and may.
        this.hub.updateDeviceConfig(s.spid, { syncml: { ...conf, anchors } });
      }
    }
    if (this.active.get(s.spid) === s) this.active.delete(s.spid);
  }
}

function plain(status: number, text: string): Reply {
  return { status, contentType: 'text/plain; charset=utf-8', body: new TextEncoder().encode(text + '\n') };
}

/** The Status of a message's SyncHdr (authentication result), with a challenge if any. */
function hdrStatus(msg: Message, code: number, chal: Meta | undefined): Command {
  return {
    kind: 'Status',
    cmdId: '1',
    msgRef: msg.hdr.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRef: msg.hdr.target,
    sourceRef: msg.hdr.source,
    data: code,
    ...(chal ? { chal } : {}),
  };
}
