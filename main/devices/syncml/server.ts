// The SyncML server (OMA DS 1.2, accepting 1.1): routes each HTTP request to its session,
// answers resends, logs clients in (auth.ts), and times out clients that stop answering.
// A session (session.ts) is one run of the method for its device; alerts and anchors
// (alerts.ts), resume persistence (resume.ts) and outgoing packing (outgoing.ts) are its
// parts; SyncmlPoint (point.ts) is the SyncPoint it puts online.
import { createHash } from 'node:crypto';
import type { Spid } from '../../core/types';
import { LoginLimiter, login } from './auth';
import { CONTENT_TYPE, decodeMessage, encodeMessage, encodingOf, versionOf, type Encoding } from './codec';
import { syncmlConfigOf, type SyncmlHub } from './device-config';
import type { Command, Message } from './model';
import { ResumeLog } from './resume';
import { Session, type SessionContext } from './session';
import { SyncmlCodecError } from './tree';
import { HttpError, plain, type Reply, type Request } from './wire';

export { syncmlConfigOf, type DbAnchors, type SyncmlDeviceConfig, type SyncmlHub } from './device-config';
export { keptSessionOf, type KeptSession, type ResumeEntry } from './resume';
export { Session } from './session';
export { SyncmlPoint } from './point';
export type { Reply, Request } from './wire';

export interface ServerOptions {
  /** Absolute URL of the endpoint: RespURI is built from it when a request does not say
   *  how the client reached us (Request.baseUrl). */
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

function digest(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex');
}

export class SyncmlServer implements SessionContext {
  private readonly sessions = new Map<string, Session>();
  /** First-message resends arrive at the base URL: (device id, session id) → session. */
  private readonly byClient = new Map<string, Session>();
  private readonly active = new Map<Spid, Session>();
  readonly limiter: LoginLimiter;
  readonly maxMsgSize: number;
  readonly maxObjSize = 4_000_000;
  readonly resume: ResumeLog;
  readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(
    readonly hub: SyncmlHub,
    private readonly opts: ServerOptions,
  ) {
    this.limiter = opts.limiter ?? new LoginLimiter();
    this.maxMsgSize = opts.maxMsgSize ?? 1_000_000;
    this.timeoutMs = opts.sessionTimeoutMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.resume = new ResumeLog(opts.stateDir);
  }

  /** Every session is dropped: the hub's waits fail with LinkLostError. */
  close(): void {
    for (const s of this.sessions.values()) s.abort('the SyncML endpoint was closed');
    this.sessions.clear();
    this.byClient.clear();
  }

  isCurrent(s: Session): boolean {
    return this.active.get(s.spid) === s || !this.active.has(s.spid);
  }

  ended(s: Session): void {
    if (this.active.get(s.spid) === s) this.active.delete(s.spid);
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
      return this.inSession(s, req, msg, hash, null);
    }
    // No token: the first message of a session, or a resend of it.
    const key = `${msg.hdr.source}\u0000${msg.hdr.sessionId}`;
    const known = this.byClient.get(key);
    if (known && String(known.lastMsgId) === msg.hdr.msgId && known.lastHash === hash && known.lastReply) {
      return known.lastReply;
    }
    return this.open(req, msg, encoding, hash);
  }

  private async inSession(s: Session, req: Request, msg: Message, hash: string, authStatus: Command | null): Promise<Reply> {
    const id = Number(msg.hdr.msgId);
    if (id === s.lastMsgId && hash === s.lastHash && s.lastReply) return s.lastReply; // a resend
    if (id !== s.lastMsgId + 1) throw new HttpError(400, `message ${msg.hdr.msgId} out of order (expected ${s.lastMsgId + 1})`);
    if (s.closed) throw new HttpError(404, 'the SyncML session has ended');
    if (s.timer) clearTimeout(s.timer);
    s.lastMsgId = id;
    s.lastHash = hash;
    // RespURI follows the address the client used for this message.
    s.baseUrl = this.baseUrlOf(req);
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

  private baseUrlOf(req: Request): string {
    return req.baseUrl ?? this.opts.baseUrl;
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

  /** The first message of a session: log the client in, then open its session. */
  private async open(req: Request, msg: Message, encoding: Encoding, hash: string): Promise<Reply> {
    const outcome = login(this.hub, this.limiter, req.remote, msg, encoding);
    if ('refused' in outcome) return outcome.refused;
    const { device, authStatus } = outcome;
    const old = this.active.get(device.spid);
    if (old) {
      // The same device starts over: its earlier session is gone for good.
      old.abort('the client started a new session');
      this.drop(old);
      if (old.run) await Promise.race([old.run.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    }
    const version = versionOf(msg);
    const s = new Session(this, device.spid, msg.hdr.source, msg.hdr.sessionId, encoding, version, msg.hdr.target, msg.hdr.meta?.maxMsgSize, this.baseUrlOf(req));
    if (msg.hdr.meta?.maxObjSize) s.clientMaxObjSize = msg.hdr.meta.maxObjSize;
    s.vcardVersion = syncmlConfigOf(this.hub.device(device.spid))?.vcardVersion ?? '3.0';
    s.lastMsgId = Number(msg.hdr.msgId) - 1;
    this.sessions.set(s.token, s);
    this.byClient.set(`${msg.hdr.source}\u0000${msg.hdr.sessionId}`, s);
    this.active.set(device.spid, s);
    return this.inSession(s, req, msg, hash, authStatus);
  }
}
