// Outgoing packing: the hub's actions for one client as Add/Replace/Delete commands, packed
// into Sync commands that fit the client's MaxMsgSize (a large object in pieces, MoreData),
// and the client's Statuses and Map items turned back into the hub's PushResults.
import type { Contact } from '../../core/contact';
import type { DeviceErrorCode, PushOp, PushResult } from '../../hub/sync-point';
import type { DbState } from './alerts';
import type { Encoding } from './codec';
import { Deferred } from './deferred';
import { commandEl, type Command, type Item, type ItemCommand } from './model';
import { contactToVcard, vcardType, type VCardVersion } from './vcard';
import { wbxmlSize } from './wbxml';
import { xmlSize } from './xml';

interface OpEntry {
  op: PushOp;
  cmdId?: string;
  status?: number;
  /** The client's LUID for an ADD, from its Map. */
  mapped?: string;
  done: boolean;
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

/** What packing needs of the session it writes for. */
export interface PackingTarget {
  readonly encoding: Encoding;
  /** The largest message the client accepts (its MaxMsgSize). */
  readonly clientMaxMsgSize: number;
  /** The largest object the client accepts (its MaxObjSize). */
  readonly clientMaxObjSize: number;
  /** The vCard version we write to this client. */
  readonly vcardVersion: VCardVersion;
  nextCmdId(): string;
}

type SyncCommand = Extract<Command, { kind: 'Sync' }>;

export class Outbox {
  /** Settles when every op is answered (or refused for this run). */
  readonly done = new Deferred<void>();
  private ops: OpEntry[] = [];
  private sent = 0;
  /** NumberOfChanges went out (in our first Sync). */
  private announced = false;
  /** An outgoing object larger than one message, sent in pieces (MoreData). */
  private chunking: { entry: OpEntry; cmd: ItemCommand; data: Buffer; offset: number } | null = null;
  private onAcks: ((r: PushResult[]) => void) | null = null;
  private readonly byCmd = new Map<string, OpEntry>();
  private readonly byGuid = new Map<string, OpEntry>();

  constructor(private readonly to: PackingTarget) {}

  /** The hub's push: these ops go out, their results to `onAcks`. */
  start(ops: readonly PushOp[], onAcks: (r: PushResult[]) => void): void {
    this.ops = ops.map((op) => ({ op, done: false }));
    for (const e of this.ops) if (e.op.action === 'ADD') this.byGuid.set(e.op.guid, e);
    this.onAcks = onAcks;
  }

  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** The client's Status of one of our commands. */
  status(cmdRef: string, cmd: string, code: number): void {
    const e = this.byCmd.get(cmdRef);
    if (e && (cmd === 'Add' || cmd === 'Replace' || cmd === 'Delete') && !e.done) e.status = code;
  }

  /** The client's Map item for one of our ADDs: its LUID. */
  map(guid: string, luid: string): void {
    const e = this.byGuid.get(guid);
    if (e) e.mapped = luid;
  }

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
        this.done.reject(err);
        return;
      }
    }
    if (this.ops.every((e) => e.done)) this.done.resolve();
  }

  /** Puts as many unsent ops into one Sync as the client's MaxMsgSize allows, after the
   *  commands `out` and `ours` already in the message. Returns true when the package is
   *  complete (Final). */
  fillSync(db: DbState, ours: Command[], out: Command[]): boolean {
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
          this.done.reject(err);
        }
      }
      this.done.resolve();
    }
    const size = (c: Command) => (this.to.encoding === 'wbxml' ? wbxmlSize(commandEl(c)) : xmlSize(commandEl(c), 'syncml'));
    let budget = Math.floor(this.to.clientMaxMsgSize * 0.9) - 600;
    for (const c of [...out, ...ours]) budget -= size(c);
    const sync: SyncCommand = {
      kind: 'Sync',
      cmdId: this.to.nextCmdId(),
      target: db.clientUri,
      source: db.name,
      commands: [],
    };
    if (!this.announced && toClient) {
      sync.numberOfChanges = this.ops.length;
      this.announced = true;
    }
    budget -= size(sync);
    const emptyBudget = Math.floor(this.to.clientMaxMsgSize * 0.9) - 800 - size(sync);
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
      if (bytes > this.to.clientMaxObjSize) {
        this.sent++;
        this.refuse(e, 'too-long', `the contact (${bytes} bytes) exceeds the client's MaxObjSize (${this.to.clientMaxObjSize})`);
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
  private nextChunk(sync: SyncCommand, budget: number, size: (c: Command) => number): boolean {
    const ch = this.chunking as NonNullable<Outbox['chunking']>;
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
    cmd.cmdId = this.to.nextCmdId();
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
      this.done.reject(err);
    }
  }

  private opCommand(op: PushOp): ItemCommand {
    const cmdId = this.to.nextCmdId();
    const v = this.to.vcardVersion;
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
