// One SyncML session: one run of the method for that device (sync-method.md, "One sync
// run"). The client's Sync package is the device's reported states (a `log` device), its
// Final releases retrieve(), the hub's push becomes our Sync package (outgoing.ts), and the
// client's Statuses and Map are the acknowledgements.
import { randomBytes } from 'node:crypto';
import type { Contact } from '../../core/contact';
import type { LateAck, ReportedRecord, Spid } from '../../core/types';
import { LinkLostError, type ListedRecord, type PushOp, type PushResult, type Retrieved, type SkippedRecord } from '../../hub/sync-point';
import { ALERT_OF_MODE, ALERT_RESUME, MODE_OF_ALERT, advanceAnchors, canonicalDb, decideAlert, isContactsDb, type DbState } from './alerts';
import type { Encoding } from './codec';
import { Deferred } from './deferred';
import { syncmlConfigOf, type SyncmlHub } from './device-config';
import { DEVINF_TYPE, serverDevInf } from './devinf';
import { anchorTree, type Command, type Item, type ItemCommand, type Message, type SyncmlVersion } from './model';
import { Outbox } from './outgoing';
import { SyncmlPoint } from './point';
import type { KeptSession, ReceivedKind, ResumeEntry, ResumeLog } from './resume';
import { vcardToCard, vcardToContact, type VCardVersion } from './vcard';
import { hdrStatus, HttpError, type Reply } from './wire';

/** What a session needs of the server that holds it (server.ts `SyncmlServer`). */
export interface SessionContext {
  readonly hub: SyncmlHub;
  readonly resume: ResumeLog;
  now(): number;
  /** Largest message we accept (advertised as our MaxMsgSize). */
  readonly maxMsgSize: number;
  /** Largest object we accept in pieces. */
  readonly maxObjSize: number;
  /** Whether `s` is its device's current session, or the device has none. */
  isCurrent(s: Session): boolean;
  /** The client closed session `s`: it is no longer its device's current session. */
  ended(s: Session): void;
}

export type Phase = 'init' | 'receiving' | 'running' | 'sending' | 'mapping' | 'done';

type StatusFn = (c: { cmdId: string }, cmd: string, data: number, extra?: Partial<Extract<Command, { kind: 'Status' }>>) => void;

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
  /** The vCard version we write to this client. */
  vcardVersion: VCardVersion = '3.0';
  /** The endpoint's URL as the client reached it in its latest message: RespURI. */
  baseUrl: string;
  // retrieve
  readonly records: ReportedRecord[] = [];
  readonly listing: ListedRecord[] = [];
  readonly skipped: SkippedRecord[] = [];
  readonly lateAcks: LateAck[] = [];
  /** This session as kept for a resume, and what it received since it was last written. */
  private kept: KeptSession | null = null;
  private keptNew: ResumeEntry[] = [];
  private keptMetaDirty = false;
  /** A large object arriving in pieces (MoreData): the chunks so far. */
  private partial: { kind: ItemCommand['kind']; luid: string; chunks: string[]; size: number } | null = null;
  readonly retrieved = new Deferred<Retrieved>();
  /** Settles when the hub calls push() or finish(), or its run ends without either. */
  readonly pushReady = new Deferred<void>();
  /** The hub's actions for this client, packed into our Sync commands. */
  readonly outbox: Outbox;
  runFailed = false;
  pushStarted = false;
  run: Promise<unknown> | null = null;
  timer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(
    private readonly ctx: SessionContext,
    readonly spid: Spid,
    readonly deviceId: string,
    readonly clientSessionId: string,
    readonly encoding: Encoding,
    readonly version: SyncmlVersion,
    readonly serverUri: string,
    clientMaxMsgSize: number | undefined,
    baseUrl: string,
  ) {
    this.point = new SyncmlPoint(this);
    this.outbox = new Outbox(this);
    this.clientMaxMsgSize = clientMaxMsgSize ?? 1_000_000;
    this.baseUrl = baseUrl;
  }

  nextCmdId(): string {
    return String(++this.cmdSeq);
  }

  respUri(): string {
    return `${this.baseUrl}?s=${this.token}`;
  }

  /** The link is gone: whatever the hub waits for fails with LinkLostError. */
  abort(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const e = new LinkLostError(reason);
    this.retrieved.reject(e);
    this.pushReady.resolve();
    this.outbox.done.reject(e);
  }

  // ---- the run -------------------------------------------------------------------------

  /** The client's init package is complete: the hub runs for this device. */
  startRun(): void {
    const hub = this.ctx.hub;
    hub.attach(this.point);
    const run = hub.sync([this.spid]);
    this.run = run;
    run
      .then((summary) => {
        if (summary.outcome === 'failed' || summary.counts[this.spid]?.error !== undefined) this.runFailed = true;
        else if (!this.pushStarted && this.phase !== 'done') this.ctx.resume.committed(hub, this.spid, this.token);
      })
      .catch(() => {
        this.runFailed = true;
      })
      .finally(() => {
        // The run is over without a push (nothing to send, or it failed): let the reply go.
        this.pushReady.resolve();
        if (this.ctx.isCurrent(this)) hub.detach(this.spid);
      });
  }

  runFailedBeforePush(): boolean {
    return this.runFailed && !this.pushStarted;
  }

  /** The SyncPoint's push(): the hub committed, and sends these ops. */
  startPush(ops: readonly PushOp[], onAcks: (r: PushResult[]) => void): Promise<void> {
    this.outbox.start(ops, onAcks);
    this.pushStarted = true;
    // The hub pushes after its commit: what the client sent is in the truth now.
    this.ctx.resume.committed(this.ctx.hub, this.spid, this.token);
    if (this.closed) return Promise.reject(new LinkLostError('the SyncML session ended'));
    this.pushReady.resolve();
    if (this.outbox.empty) this.outbox.done.resolve();
    return this.outbox.done.promise;
  }

  /** The client closed the session: its anchors and ours move on. */
  private complete(): void {
    if (this.db && !this.runFailedBeforePush()) advanceAnchors(this.ctx.hub, this.spid, this.db);
    this.ctx.ended(this);
  }

  // ---- one client message --------------------------------------------------------------

  async handle(msg: Message, authStatus: Command | null): Promise<Message> {
    const out: Command[] = [];
    if (authStatus) authStatus.cmdId = this.nextCmdId();
    out.push(authStatus ?? { ...hdrStatus(msg, 200, undefined), cmdId: this.nextCmdId() });
    const status: StatusFn = (c, cmd, data, extra = {}) => {
      if ((c as { noResp?: boolean }).noResp) return;
      out.push({ kind: 'Status', cmdId: this.nextCmdId(), msgRef: msg.hdr.msgId, cmdRef: c.cmdId, cmd, data, ...extra });
    };
    const ours: Command[] = [];

    for (const c of msg.body) {
      switch (c.kind) {
        case 'Status':
          this.outbox.status(c.cmdRef, c.cmd, c.data);
          break;
        case 'Alert': {
          if (c.data === 222) {
            status(c, 'Alert', 200);
            break;
          }
          const item = c.items[0];
          const mode = MODE_OF_ALERT[c.data];
          if (!item || (!mode && c.data !== ALERT_RESUME)) {
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
          const { hub, resume } = this.ctx;
          const { code, db, kept } = decideAlert(hub, this.spid, this.ctx.now(), target, item.source ?? target, c.data, item.meta?.anchor ?? {}, (key, last) =>
            resume.resumable(hub, this.spid, this.deviceId, key, last),
          );
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
          this.clientSync(c, status);
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
      this.ctx.resume.keep(this.ctx.hub, this.spid, this.kept, this.keptNew, this.keptMetaDirty);
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
            this.startRun();
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
          if (this.runFailedBeforePush()) throw new HttpError(500, 'the sync run failed; nothing was changed');
          this.phase = 'sending';
          final = this.fillSync(ours, out);
          if (final) this.phase = 'mapping';
        }
        break;
      case 'sending':
        this.outbox.flushAcks(false);
        final = this.fillSync(ours, out);
        if (final) this.phase = 'mapping';
        break;
      case 'mapping':
        this.outbox.flushAcks(msg.final);
        if (msg.final) {
          final = true;
          this.phase = 'done';
          this.complete();
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
        ...(this.phase !== 'done' ? { respUri: this.respUri() } : {}),
        meta: { maxMsgSize: this.ctx.maxMsgSize },
      },
      body: [...out, ...ours],
      final,
    };
  }

  private fillSync(ours: Command[], out: Command[]): boolean {
    return this.db ? this.outbox.fillSync(this.db, ours, out) : true;
  }

  // ---- what the client sends -----------------------------------------------------------

  /** Starts this session's KeptSession; a resumed session begins with what the
   *  interrupted one received. */
  private startKeeping(db: DbState, resumed: ResumeEntry[] | undefined): void {
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
    for (const entry of resumed ?? []) {
      if (entry[0] === 'mapped') {
        this.lateAck(entry[1], entry[2]);
        continue;
      }
      const [kind, luid, text] = entry;
      let contact: Contact | null = null;
      if (kind !== 'deleted') {
        try {
          contact = vcardToContact(text);
        } catch (e) {
          this.skipped.push({ luid, reason: (e as Error).message });
          continue;
        }
      }
      this.take(kind, luid, text, contact);
    }
  }

  private lateAck(guid: string, luid: string): void {
    this.lateAcks.push({ guid, action: 'ADD', luid });
    this.keptNew.push(['mapped', guid, luid]);
  }

  /** The client writes this vCard version: remember it for what we send it. */
  private sawVersion(v: VCardVersion): void {
    if (v === this.vcardVersion) return;
    this.vcardVersion = v;
    const hub = this.ctx.hub;
    const conf = syncmlConfigOf(hub.device(this.spid));
    if (conf && conf.vcardVersion !== v) hub.updateDeviceConfig(this.spid, { syncml: { ...conf, vcardVersion: v } });
  }

  /** One record from the client. */
  private take(kind: ReceivedKind, luid: string, text: string, contact: Contact | null): void {
    if (kind === 'listed') this.listing.push({ luid, data: contact as Contact });
    else if (kind === 'deleted') this.records.push({ luid, state: 'DELETED' });
    else this.records.push({ luid, state: kind === 'added' ? 'ADDED' : 'UPDATED', data: contact as Contact });
    this.keptNew.push([kind, luid, text]);
  }

  private mapItem(guid: string, luid: string): void {
    if (!guid || !luid) return;
    if (this.phase !== 'init' && this.phase !== 'receiving') {
      this.outbox.map(guid, luid);
      return;
    }
    // A Map resent from an earlier session whose reply never arrived: a late
    // acknowledgement (sync-method.md, "A late acknowledgement").
    this.lateAck(guid, luid);
  }

  private clientSync(c: Extract<Command, { kind: 'Sync' }>, status: StatusFn): void {
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
          if (db.mode === 'two-way' || db.mode === 'one-way-from-client') this.take('deleted', luid, '', null);
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
        this.take(db.mode === 'refresh-from-client' ? 'listed' : db.mode === 'slow' || cmd.kind === 'Add' ? 'added' : 'updated', luid, text, contact);
        st(cmd.kind === 'Add' ? 201 : 200);
      }
    }
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
      if (size > this.ctx.maxObjSize) return undefined;
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
