// The handlers of the contract: each request's arguments are validated at run time, then
// the hub is called. Transport-agnostic: the WebSocket server and the Electron utility
// process both feed `Api.call(channel, args)` and forward `Api.on` events.
import { contactOf, type Contact } from '../core/contact';
import { EDITOR_SPID, type Spid } from '../core/types';
import { validateContact } from '../core/validate';
import { HubError, type Hub } from '../hub/hub';
import { CarddavPairError, pairCarddavAccount } from '../devices/carddav/pair';
import type { SyncProgress } from '../hub/types';
import {
  LIMITS,
  REQUEST_NAMES,
  type ArgsOf,
  type ConflictView,
  type BluetoothStatus,
  type DiscoveredPhone,
  type LanSettings,
  type Settings,
  type ErrorCode,
  type EventName,
  type FieldProblem,
  type Events,
  type RequestName,
  type Result,
  type ResultOf,
} from './contract';
import { describeImport, describeUpdate, editName, editNotes, noteEdit } from './edits';
import { ContactIndex } from './search';
import { BadRequest, arrayOf, bool, contactProblems, fitWarnings, int, obj, oneOf, optional, str, type Check } from './validate';
import { applyImport, planImport } from './import';
import { writeCards } from './vcard';
import { backupNow, runViews, safetyHandlers, safetySettings, setBackupKeep, setGuard, setRetention, SettingProblem } from './safety';

const spid = str(200, { min: 1 });
const guid = str(200, { min: 1 });
const contact: Check<Partial<Contact>> = (x, path) => {
  const v = validateContact(x);
  if (!v.ok) throw new BadRequest(`${path} is not a valid contact: ${v.reason}`);
  return v.contact;
};
const vcfText = str(LIMITS.maxMessageBytes);
/** A value that must be present, and may be null. */
const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (x, path) => {
    if (x === undefined) throw new BadRequest(`${path} must be given (null for none)`);
    return x === null ? null : check(x, path);
  };
const btAddress: Check<string> = (x, path) => {
  const s = str(17)(x, path);
  if (!/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/i.test(s)) throw new BadRequest(`${path || 'address'} must be a Bluetooth address (AA:BB:CC:DD:EE:FF)`);
  return s.toUpperCase();
};

/** One validator per request, typed against the contract so they cannot drift apart. */
const validators: { [K in RequestName]: Check<ArgsOf<K>> } = {
  'app:info': obj({}),
  'app:newToken': obj({}),
  'contacts:list': obj({ offset: int(0, 10_000_000), limit: int(1, LIMITS.maxPage), query: optional(str(LIMITS.maxQuery)) }),
  'contacts:get': obj({ guid }),
  'contacts:add': obj({ contact }),
  'contacts:update': obj({ guid, contact }),
  'contacts:delete': obj({ guid }),
  'contacts:check': obj({ contact, guid: optional(guid) }),
  'contacts:importPreview': obj({ text: vcfText }),
  'contacts:import': obj({ text: vcfText, skip: optional(arrayOf(int(0, 10_000_000), 1_000_000)) }),
  'contacts:export': obj({ version: oneOf('2.1', '3.0', '4.0'), guids: optional(arrayOf(guid, 1_000_000)) }),
  'devices:list': obj({}),
  'devices:pending': obj({ spid }),
  'devices:sync': obj({ spid }),
  'devices:rename': obj({ spid, name: str(100, { min: 1 }) }),
  'devices:forget': obj({ spid }),
  'devices:setPriority': obj({ order: arrayOf(spid, 1000) }),
  'devices:setAutoSync': obj({ spid, on: bool }),
  'devices:pairSyncml': obj({ name: str(100, { min: 1 }), user: str(100, { min: 1 }), password: str(200, { min: 1 }) }),
  'devices:pairCarddav': obj({ name: str(100, { min: 1 }), user: str(64, { min: 1 }), password: str(200, { min: 1 }) }),
  'devices:discovered': obj({}),
  'devices:pairPhone': obj({ spid, autoSync: bool, name: optional(str(100, { min: 1 })) }),
  'devices:ignorePhone': obj({ spid }),
  'bluetooth:list': obj({}),
  'bluetooth:pair': obj({ address: btAddress, autoSync: bool }),
  'conflicts:list': obj({ limit: optional(int(1, 5000)) }),
  'conflicts:resolve': obj({ id: int(0, Number.MAX_SAFE_INTEGER), spid }),
  'sync:run': obj({}),
  'sync:history': obj({ limit: optional(int(1, 1000)) }),
  'runs:undoPreview': obj({ runId: int(1, Number.MAX_SAFE_INTEGER) }),
  'runs:undo': obj({ runId: int(1, Number.MAX_SAFE_INTEGER) }),
  'contacts:deleted': obj({}),
  'contacts:restore': obj({ guid }),
  'contacts:history': obj({ guid }),
  'holds:list': obj({}),
  'holds:approve': obj({ spid }),
  'holds:keep': obj({ spid }),
  'activity:edits': obj({ limit: optional(int(1, 1000)) }),
  'settings:get': obj({}),
  'settings:setLan': obj({ on: bool, port: optional(int(1, 65535)) }),
  'settings:setStartAtLogin': obj({ on: bool }),
  // Whole numbers of any size pass here; the handlers refuse those out of range in words.
  'settings:setGuard': obj({ on: bool, deletes: int(-1e9, 1e9), percent: int(-1e9, 1e9) }),
  'settings:setRetention': obj({ days: nullable(int(-1e9, 1e9)) }),
  'settings:setBackupKeep': obj({ keep: int(-1e9, 1e9) }),
  'backups:now': obj({}),
};

/** What the app around the hub adds: the LAN endpoint and the phones plugged in (main/app
 *  provides it; without it the API answers that those are not available here). */
export interface DeviceServices {
  lanUrl(): string | null;
  discovered(): DiscoveredPhone[];
  /** Pairs the phone, attaches it and, with autoSync, syncs it now. */
  pairPhone(spid: Spid, autoSync: boolean, name?: string): Promise<void>;
  ignorePhone(spid: Spid): void;
  /** Approves a SyncML client and stores its login (main/devices/syncml/pair.ts); throws
   *  ApiError('invalid', why) for a login that cannot be used. (Absent: not offered here.) */
  pairSyncml?(name: string, user: string, password: string): { spid: Spid };
  onDiscovered(fn: (list: DiscoveredPhone[]) => void): () => void;
  /** Bluetooth devices paired with this computer (absent: Bluetooth is not watched here). */
  bluetooth?: {
    status(): BluetoothStatus;
    pair(address: string, autoSync: boolean): Promise<Spid>;
    onChanged(fn: (s: BluetoothStatus) => void): () => void;
  };
}

/** The SyncML endpoint of the app around the hub, switched at run time (Settings). */
export interface LanServices {
  /** The endpoint now. */
  lan(): LanSettings;
  /** Starts or stops it now and remembers the choice for the next start; a port that is in
   *  use leaves it off with the reason in `problem`. */
  setLan(on: boolean, port?: number): Promise<LanSettings>;
}

/** Where the hub keeps the user's choice of a version of each conflict (a preference per
 *  conflict: the conflict log itself records only when). */
const chosenKey = (id: number) => `conflict.${id}.chosen`;

const LAN_OFF: LanSettings = { on: false, port: 0, url: null, problem: 'LAN sync is not available in this hub.', httpsUrl: null, fingerprint: null };

/** Checks a request's arguments against the contract; throws BadRequest. */
export function validateArgs<K extends RequestName>(name: K, args: unknown): ArgsOf<K> {
  return (validators[name] as Check<ArgsOf<K>>)(args, '');
}

/** The browser UI's access (`concord serve` provides it once its server listens). */
export interface UiAccessService {
  newToken(): Promise<{ url: string }> | { url: string };
}

export interface ApiOptions {
  hub: Hub;
  dataDir: string;
  demo?: boolean;
  version?: string;
  devices?: DeviceServices;
  lan?: LanServices;
}

export type AnyListener = <E extends EventName>(event: E, payload: Events[E]) => void;

/** The surface both transports drive: the in-process Api, or one that forwards to a hub in a
 *  worker thread (main/app/worker-api.ts). */
export interface ApiLike {
  /** Validates and runs one request. Never throws: every failure is a Result. */
  call(channel: unknown, args: unknown): Promise<Result<unknown>>;
  on(listener: AnyListener): () => void;
}
type Handlers = { [K in RequestName]: (args: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>> };

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems?: FieldProblem[],
  ) {
    super(message);
  }
}

export function errorResult(code: ErrorCode, message: string, problems?: FieldProblem[]): Result<never> {
  return { ok: false, error: problems ? { code, message, problems } : { code, message } };
}

export class Api implements ApiLike {
  readonly index: ContactIndex;
  private readonly hub: Hub;
  private readonly listeners = new Set<AnyListener>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly handlers: Handlers;
  private access: UiAccessService | null = null;
  /** Last forwarded push progress per device (time), to throttle 10,000 acks to ~20/s. */
  private readonly lastPush = new Map<Spid, number>();

  constructor(private readonly opts: ApiOptions) {
    this.hub = opts.hub;
    this.index = new ContactIndex(() => this.hub.contacts());
    this.unsubscribe.push(
      this.hub.on('changed', (what) => {
        if (what === 'contacts') this.index.invalidate();
        this.emit('hub:changed', what);
      }),
      this.hub.on('progress', (p) => {
        if (this.shouldForward(p)) this.emit('sync:progress', p);
      }),
    );
    if (opts.devices) this.unsubscribe.push(opts.devices.onDiscovered((list) => this.emit('devices:discovered', list)));
    const bt = opts.devices?.bluetooth;
    if (bt) this.unsubscribe.push(bt.onChanged((s) => this.emit('bluetooth:changed', s)));
    this.handlers = this.makeHandlers();
  }

  /** Called by `concord serve` once the browser UI's server listens. */
  provideAccess(access: UiAccessService): void {
    this.access = access;
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
  }

  on(listener: AnyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch (e) {
        // A broken transport must not stop the hub's own event loop.
        console.error('concord: event listener failed', e);
      }
    }
  }

  private shouldForward(p: SyncProgress): boolean {
    if (p.type !== 'device-pushing') return true;
    const now = Date.now();
    const last = this.lastPush.get(p.spid) ?? 0;
    if (p.done === 0 || p.done === p.total || now - last >= 50) {
      this.lastPush.set(p.spid, now);
      return true;
    }
    return false;
  }

  /** Validates and runs one request. Never throws: every failure is a Result. */
  async call(channel: unknown, args: unknown): Promise<Result<unknown>> {
    if (typeof channel !== 'string' || !(REQUEST_NAMES as string[]).includes(channel)) {
      return errorResult('unknown-channel', `There is no request named ${JSON.stringify(channel)}.`);
    }
    const name = channel as RequestName;
    try {
      const valid = (validators[name] as Check<unknown>)(args, '');
      const value = await (this.handlers[name] as (a: unknown) => unknown)(valid);
      return { ok: true, value: value === undefined ? null : value };
    } catch (e) {
      if (e instanceof BadRequest) return errorResult('bad-request', `${name}: ${e.message}.`);
      if (e instanceof ApiError) return errorResult(e.code, e.message, e.problems);
      if (e instanceof HubError) return errorResult(e.code, e.message);
      console.error(`concord: ${name} failed`, e);
      return errorResult('internal', `The hub could not do that (${(e as Error)?.message ?? String(e)}).`);
    }
  }

  private makeHandlers(): Handlers {
    const hub = this.hub;
    const mustOnline = (s: Spid) => {
      const d = hub.device(s);
      if (!d) throw new ApiError('not-found', 'That device is no longer paired.');
      if (s === EDITOR_SPID) throw new ApiError('invalid', 'The hub\'s own editor is always up to date.');
      if (!hub.isOnline(s)) throw new ApiError('invalid', `${d.name} is not connected. Plug it in or bring it in range, then try again.`);
    };
    return {
      'app:info': () => ({
        version: this.opts.version ?? '0.1.0',
        dataDir: this.opts.dataDir,
        region: hub.region(),
        demo: this.opts.demo ?? false,
        running: hub.running(),
        lanUrl: this.opts.lan?.lan().url ?? this.opts.devices?.lanUrl() ?? null,
      }),
      'app:newToken': async () => {
        if (!this.access) throw new ApiError('invalid', 'This hub has no browser address to protect (the desktop app\'s window needs no access token).');
        return this.access.newToken();
      },
      'contacts:list': ({ offset, limit, query }) => this.index.page(offset, limit, query),
      'contacts:get': ({ guid }) => {
        const row = hub.contact(guid);
        if (!row) throw new ApiError('not-found', 'That contact no longer exists.');
        return row;
      },
      'contacts:add': ({ contact }) => {
        const c = contactOf(contact);
        refuseProblems(contactProblems(c, hub.region()));
        const queued = hub.editor.add(c);
        noteEdit(hub, queued, `Added ${editName(c)}`);
        return { queued };
      },
      'contacts:update': ({ guid, contact }) => {
        const before = hub.contact(guid);
        if (!before) throw new ApiError('not-found', 'That contact no longer exists.');
        refuseProblems(contactProblems(contact, hub.region(), before.contact));
        hub.editor.update(guid, contact);
        const said = describeUpdate(before.contact, contactOf(contact), hub.region());
        if (said) noteEdit(hub, guid, said);
        return null;
      },
      'contacts:check': ({ contact, guid }) => {
        const before = guid === undefined ? undefined : hub.contact(guid)?.contact;
        return {
          problems: contactProblems(contact, hub.region(), before),
          warnings: fitWarnings(contact, hub.devices(), this.index.size, guid === undefined),
        };
      },
      'contacts:delete': ({ guid }) => {
        const before = hub.contact(guid);
        hub.editor.delete(guid);
        noteEdit(hub, guid, `Deleted ${before ? editName(before.contact) : 'a contact'}`);
        return null;
      },
      'contacts:importPreview': ({ text }) => planImport(hub, text).preview,
      'contacts:import': ({ text, skip }) => {
        const plan = planImport(hub, text);
        const out = applyImport(plan, hub.editor, skip ?? []);
        const skipped = new Set(skip ?? []);
        const done = plan.preview.items.filter((i) => i.action !== 'skip' && !skipped.has(i.index));
        const said = describeImport(done.filter((i) => i.action === 'add').map((i) => i.name), done.filter((i) => i.action === 'update').map((i) => i.name));
        if (said) noteEdit(hub, null, said);
        return out;
      },
      'contacts:export': ({ version, guids }) => {
        const list = (guids ?? this.index.guids()).map((g) => hub.contact(g)).filter((r) => r !== undefined).map((r) => ({ contact: r.contact, uid: r.guid }));
        const day = new Date().toISOString().slice(0, 10);
        return { filename: `concord-contacts-${day}.vcf`, text: writeCards(list, version), count: list.length };
      },
      'devices:list': () => hub.devices(),
      'devices:pending': ({ spid }) => {
        if (!hub.device(spid)) throw new ApiError('not-found', 'That device is no longer paired.');
        return hub.pendingOf(spid);
      },
      'devices:sync': ({ spid }) => {
        mustOnline(spid);
        return hub.sync([spid]);
      },
      'devices:rename': ({ spid, name }) => {
        hub.renameDevice(spid, name.trim() || name);
        return null;
      },
      'devices:forget': ({ spid }) => {
        hub.forgetDevice(spid);
        return null;
      },
      'devices:setPriority': ({ order }) => {
        hub.setPriorities(order);
        return null;
      },
      'devices:setAutoSync': ({ spid, on }) => {
        if (spid === EDITOR_SPID) throw new ApiError('invalid', 'The hub\'s own editor is always up to date.');
        hub.setAutoSync(spid, on);
        return null;
      },
      'devices:pairSyncml': ({ name, user, password }) => {
        // A login the hub cannot be reached at is a dead end: pair only while LAN sync is on.
        // (An Api without the app around it, as in a test of the handlers alone, has no say.)
        const lan = this.opts.lan?.lan();
        if (lan && !lan.url) throw new ApiError('invalid', 'LAN sync is off, so the device could not reach Concord. Turn on LAN sync in Settings, then pair it.');
        const pair = this.opts.devices?.pairSyncml;
        if (!pair) throw new ApiError('invalid', 'SyncML devices cannot be paired here.');
        const { spid } = pair(name.trim() || name, user, password);
        return { spid, kind: 'syncml', url: lan?.url ?? null, user };
      },
      'devices:pairCarddav': ({ name, user, password }) => {
        // The CardDAV server shares the LAN endpoint with SyncML: pair only while it is on.
        const lan = this.opts.lan?.lan();
        if (lan && !lan.url) throw new ApiError('invalid', 'LAN sync is off, so the device could not reach Concord. Turn on LAN sync in Settings, then pair it.');
        try {
          const d = pairCarddavAccount(hub, name.trim() || name, user, password);
          return { spid: d.spid, kind: 'carddav', url: lan?.url ? lan.url.replace(/\/syncml$/, '/dav/') : null, user };
        } catch (e) {
          if (e instanceof CarddavPairError) throw new ApiError('invalid', e.message);
          throw e;
        }
      },
      'devices:discovered': () => this.opts.devices?.discovered() ?? [],
      'devices:pairPhone': async ({ spid, autoSync, name }) => {
        const devices = this.opts.devices;
        if (!devices?.discovered().some((p) => p.spid === spid)) throw new ApiError('not-found', 'That phone is no longer connected. Plug it in again, then pair it.');
        await devices.pairPhone(spid, autoSync, name?.trim() || undefined);
        return { spid };
      },
      'bluetooth:list': () =>
        this.opts.devices?.bluetooth?.status() ?? { available: false, reason: 'Bluetooth devices are not watched by this hub.', devices: [] },
      'bluetooth:pair': async ({ address, autoSync }) => {
        const bt = this.opts.devices?.bluetooth;
        if (!bt) throw new ApiError('not-found', 'Bluetooth devices are not watched by this hub.');
        try {
          return { spid: await bt.pair(address, autoSync) };
        } catch (e) {
          if (e instanceof ApiError || e instanceof HubError) throw e;
          throw new ApiError('invalid', (e as Error).message);
        }
      },
      'devices:ignorePhone': ({ spid }) => {
        this.opts.devices?.ignorePhone(spid);
        return null;
      },
      'conflicts:list': ({ limit }) =>
        [...hub.conflicts(limit)]
          .sort((a, b) => b.at - a.at || b.id - a.id)
          .map((c): ConflictView => ({ ...c, chosen: c.resolvedAt !== null ? (hub.dss.pref(chosenKey(c.id)) ?? null) : null })),
      'conflicts:resolve': ({ id, spid }) => {
        hub.useConflictVersion(id, spid);
        const c = hub.dss.conflict(id);
        const who = c && (c.versions.find((v) => v.spid === spid)?.contact ?? c.result);
        noteEdit(hub, c?.guid ?? null, `Used the version from ${hub.device(spid)?.name ?? spid} for ${who ? editName(who) : 'a contact'}`);
        hub.dss.setPref(chosenKey(id), spid);
        this.emit('hub:changed', 'conflicts');
        return null;
      },
      'sync:run': () => hub.sync(),
      'sync:history': ({ limit }) => runViews(hub, hub.history(limit)),
      ...safetyHandlers(hub),
      'activity:edits': ({ limit }) => editNotes(hub, limit ?? 100),
      'settings:get': () => this.settings(),
      'settings:setLan': async ({ on, port }) => {
        if (!this.opts.lan) throw new ApiError('invalid', LAN_OFF.problem!);
        await this.opts.lan.setLan(on, port);
        this.emit('hub:changed', 'settings');
        return this.settings();
      },
      'settings:setGuard': (args) => this.setting(() => setGuard(hub, args)),
      'settings:setRetention': ({ days }) => this.setting(() => setRetention(hub, days)),
      'settings:setBackupKeep': ({ keep }) => this.setting(() => setBackupKeep(hub, this.opts.dataDir, keep)),
      'backups:now': async () => {
        const b = await backupNow(hub);
        this.emit('hub:changed', 'settings');
        return b;
      },
      'settings:setStartAtLogin': () => {
        // The desktop app answers this itself (electron-main.ts); a hub reached here is headless.
        throw new ApiError('invalid', 'Start at login applies to the Concord desktop app. This hub runs as `concord serve`: add that command to your system\'s startup programs instead.');
      },
    };
  }

  private settings(): Settings {
    return { dataDir: this.opts.dataDir, safety: safetySettings(this.hub, this.opts.dataDir), lan: this.opts.lan?.lan() ?? LAN_OFF, startAtLogin: null };
  }

  /** Changes a setting (the hub remembers it in the DSS) and answers with all of them. */
  private setting(change: () => void): Settings {
    try {
      change();
    } catch (e) {
      if (e instanceof SettingProblem) throw new ApiError('invalid', e.message);
      throw e;
    }
    return this.settings();
  }
}

/** An edit the user must correct: refused with every problem, the first one in the message. */
function refuseProblems(problems: FieldProblem[]): void {
  if (problems.length > 0) throw new ApiError('invalid', problems[0]!.message, problems);
}
