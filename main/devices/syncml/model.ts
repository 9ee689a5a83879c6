// The typed SyncML message (OMA DS 1.2 representation protocol, accepting 1.1), and its
// mapping to and from the element tree. Elements are written in the order the DTD gives,
// because strict clients (and SyncEvolution's engine) read them in that order.
import { child, children, el, leaf, SyncmlCodecError, textOf, type XElem } from './tree';

export interface Anchor {
  last?: string;
  next?: string;
}

export interface Meta {
  type?: string;
  format?: string;
  size?: number;
  maxMsgSize?: number;
  maxObjSize?: number;
  nextNonce?: string;
  anchor?: Anchor;
  version?: string;
}

export interface Item {
  target?: string;
  source?: string;
  targetParent?: string;
  sourceParent?: string;
  meta?: Meta;
  /** Text payload (a vCard, an anchor-less alert code…). */
  data?: string;
  /** Structured payload: a DevInf tree or an Anchor (Status of an Alert). */
  dataTree?: XElem;
  moreData?: boolean;
}

export interface Cred {
  meta?: Meta;
  data: string;
}

export interface SyncHdr {
  verDTD: string;
  verProto: string;
  sessionId: string;
  msgId: string;
  target: string;
  targetName?: string;
  source: string;
  sourceName?: string;
  respUri?: string;
  noResp?: boolean;
  cred?: Cred;
  meta?: Meta;
}

export type ItemCmdName = 'Add' | 'Replace' | 'Delete' | 'Copy' | 'Move';

export interface ItemCommand {
  kind: ItemCmdName;
  cmdId: string;
  noResp?: boolean;
  meta?: Meta;
  items: Item[];
}

export type Command =
  | { kind: 'Alert'; cmdId: string; noResp?: boolean; cred?: Cred; data: number; items: Item[] }
  | {
      kind: 'Status';
      cmdId: string;
      msgRef: string;
      cmdRef: string;
      cmd: string;
      targetRef?: string;
      sourceRef?: string;
      chal?: Meta;
      data: number;
      items?: Item[];
    }
  | {
      kind: 'Sync';
      cmdId: string;
      noResp?: boolean;
      target?: string;
      source?: string;
      meta?: Meta;
      numberOfChanges?: number;
      commands: ItemCommand[];
    }
  | ItemCommand
  | { kind: 'Put' | 'Get'; cmdId: string; noResp?: boolean; meta?: Meta; items: Item[] }
  | {
      kind: 'Results';
      cmdId: string;
      msgRef?: string;
      cmdRef: string;
      meta?: Meta;
      targetRef?: string;
      sourceRef?: string;
      items: Item[];
    }
  | { kind: 'Map'; cmdId: string; target: string; source: string; items: { target: string; source: string }[] }
  | { kind: 'Other'; name: string; cmdId: string };

export interface Message {
  hdr: SyncHdr;
  body: Command[];
  final: boolean;
}

export type SyncmlVersion = '1.1' | '1.2';

// ---------------------------------------------------------------------------------------
// tree → model

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  if (!/^\d{1,12}$/.test(s)) return undefined;
  return Number(s);
}

function locUri(e: XElem | undefined): string | undefined {
  return e ? textOf(e, 'LocURI') : undefined;
}

function readMeta(e: XElem | undefined): Meta | undefined {
  if (!e) return undefined;
  // Meta may wrap a MetInf element (1.0 style) or hold its children directly.
  const m = child(e, 'MetInf') ?? e;
  const meta: Meta = {};
  const type = textOf(m, 'Type');
  if (type !== undefined) meta.type = type;
  const format = textOf(m, 'Format');
  if (format !== undefined) meta.format = format;
  const size = num(textOf(m, 'Size'));
  if (size !== undefined) meta.size = size;
  const mms = num(textOf(m, 'MaxMsgSize'));
  if (mms !== undefined) meta.maxMsgSize = mms;
  const mos = num(textOf(m, 'MaxObjSize'));
  if (mos !== undefined) meta.maxObjSize = mos;
  const nonce = textOf(m, 'NextNonce');
  if (nonce !== undefined) meta.nextNonce = nonce;
  const version = textOf(m, 'Version');
  if (version !== undefined) meta.version = version;
  const a = child(m, 'Anchor');
  if (a) meta.anchor = readAnchor(a);
  return meta;
}

function readAnchor(a: XElem): Anchor {
  const anchor: Anchor = {};
  const last = textOf(a, 'Last');
  if (last !== undefined) anchor.last = last;
  const next = textOf(a, 'Next');
  if (next !== undefined) anchor.next = next;
  return anchor;
}

function readItem(e: XElem): Item {
  const item: Item = {};
  const t = locUri(child(e, 'Target'));
  if (t !== undefined) item.target = t;
  const s = locUri(child(e, 'Source'));
  if (s !== undefined) item.source = s;
  const tp = locUri(child(e, 'TargetParent'));
  if (tp !== undefined) item.targetParent = tp;
  const sp = locUri(child(e, 'SourceParent'));
  if (sp !== undefined) item.sourceParent = sp;
  const meta = readMeta(child(e, 'Meta'));
  if (meta) item.meta = meta;
  const d = child(e, 'Data');
  if (d) {
    if (d.kids.length) item.dataTree = d.kids[0];
    else item.data = d.text;
  }
  if (child(e, 'MoreData')) item.moreData = true;
  return item;
}

function readCred(e: XElem | undefined): Cred | undefined {
  if (!e) return undefined;
  const cred: Cred = { data: textOf(e, 'Data') ?? '' };
  const meta = readMeta(child(e, 'Meta'));
  if (meta) cred.meta = meta;
  return cred;
}

function need(e: XElem, tag: string): string {
  const v = textOf(e, tag);
  if (v === undefined) throw new SyncmlCodecError(`${e.tag} without ${tag}`);
  return v;
}

function readItemCommand(e: XElem, kind: ItemCmdName): ItemCommand {
  const cmd: ItemCommand = { kind, cmdId: need(e, 'CmdID'), items: children(e, 'Item').map(readItem) };
  if (child(e, 'NoResp')) cmd.noResp = true;
  const meta = readMeta(child(e, 'Meta'));
  if (meta) cmd.meta = meta;
  return cmd;
}

const ITEM_CMDS = new Set<string>(['Add', 'Replace', 'Delete', 'Copy', 'Move']);

function readCommand(e: XElem): Command {
  switch (e.tag) {
    case 'Alert': {
      const data = num(textOf(e, 'Data'));
      if (data === undefined) throw new SyncmlCodecError('Alert without a numeric Data');
      const c: Command = { kind: 'Alert', cmdId: need(e, 'CmdID'), data, items: children(e, 'Item').map(readItem) };
      if (child(e, 'NoResp')) c.noResp = true;
      const cred = readCred(child(e, 'Cred'));
      if (cred) c.cred = cred;
      return c;
    }
    case 'Status': {
      const data = num(textOf(e, 'Data'));
      if (data === undefined) throw new SyncmlCodecError('Status without a numeric Data');
      const c: Command = {
        kind: 'Status',
        cmdId: need(e, 'CmdID'),
        msgRef: textOf(e, 'MsgRef') ?? '',
        cmdRef: need(e, 'CmdRef'),
        cmd: need(e, 'Cmd'),
        data,
        items: children(e, 'Item').map(readItem),
      };
      const tr = textOf(e, 'TargetRef');
      if (tr !== undefined) c.targetRef = tr;
      const sr = textOf(e, 'SourceRef');
      if (sr !== undefined) c.sourceRef = sr;
      const chal = child(e, 'Chal');
      if (chal) c.chal = readMeta(child(chal, 'Meta')) ?? {};
      return c;
    }
    case 'Sync': {
      const c: Command = { kind: 'Sync', cmdId: need(e, 'CmdID'), commands: [] };
      if (child(e, 'NoResp')) c.noResp = true;
      const t = locUri(child(e, 'Target'));
      if (t !== undefined) c.target = t;
      const s = locUri(child(e, 'Source'));
      if (s !== undefined) c.source = s;
      const meta = readMeta(child(e, 'Meta'));
      if (meta) c.meta = meta;
      const noc = num(textOf(e, 'NumberOfChanges'));
      if (noc !== undefined) c.numberOfChanges = noc;
      for (const k of e.kids) {
        if (ITEM_CMDS.has(k.tag)) c.commands.push(readItemCommand(k, k.tag as ItemCmdName));
        else if (k.tag === 'Atomic' || k.tag === 'Sequence') {
          for (const kk of k.kids) {
            if (ITEM_CMDS.has(kk.tag)) c.commands.push(readItemCommand(kk, kk.tag as ItemCmdName));
          }
        }
      }
      return c;
    }
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Copy':
    case 'Move':
      return readItemCommand(e, e.tag);
    case 'Put':
    case 'Get': {
      const c: Command = { kind: e.tag, cmdId: need(e, 'CmdID'), items: children(e, 'Item').map(readItem) };
      if (child(e, 'NoResp')) c.noResp = true;
      const meta = readMeta(child(e, 'Meta'));
      if (meta) c.meta = meta;
      return c;
    }
    case 'Results': {
      const c: Command = {
        kind: 'Results',
        cmdId: need(e, 'CmdID'),
        cmdRef: need(e, 'CmdRef'),
        items: children(e, 'Item').map(readItem),
      };
      const mr = textOf(e, 'MsgRef');
      if (mr !== undefined) c.msgRef = mr;
      const meta = readMeta(child(e, 'Meta'));
      if (meta) c.meta = meta;
      return c;
    }
    case 'Map':
      return {
        kind: 'Map',
        cmdId: need(e, 'CmdID'),
        target: locUri(child(e, 'Target')) ?? '',
        source: locUri(child(e, 'Source')) ?? '',
        items: children(e, 'MapItem').map((mi) => ({
          target: locUri(child(mi, 'Target')) ?? '',
          source: locUri(child(mi, 'Source')) ?? '',
        })),
      };
    default:
      return { kind: 'Other', name: e.tag, cmdId: textOf(e, 'CmdID') ?? '' };
  }
}

export function messageFromTree(root: XElem): Message {
  if (root.tag !== 'SyncML') throw new SyncmlCodecError(`root is <${root.tag}>, not <SyncML>`);
  const h = child(root, 'SyncHdr');
  const b = child(root, 'SyncBody');
  if (!h || !b) throw new SyncmlCodecError('SyncML without SyncHdr or SyncBody');
  const target = locUri(child(h, 'Target'));
  const source = locUri(child(h, 'Source'));
  if (!target || !source) throw new SyncmlCodecError('SyncHdr without Target or Source');
  const hdr: SyncHdr = {
    verDTD: need(h, 'VerDTD'),
    verProto: need(h, 'VerProto'),
    sessionId: need(h, 'SessionID'),
    msgId: need(h, 'MsgID'),
    target,
    source,
  };
  const tn = textOf(child(h, 'Target'), 'LocName');
  if (tn !== undefined) hdr.targetName = tn;
  const sn = textOf(child(h, 'Source'), 'LocName');
  if (sn !== undefined) hdr.sourceName = sn;
  const ru = textOf(h, 'RespURI');
  if (ru !== undefined) hdr.respUri = ru;
  if (child(h, 'NoResp')) hdr.noResp = true;
  const cred = readCred(child(h, 'Cred'));
  if (cred) hdr.cred = cred;
  const meta = readMeta(child(h, 'Meta'));
  if (meta) hdr.meta = meta;
  const body: Command[] = [];
  let final = false;
  for (const k of b.kids) {
    if (k.tag === 'Final') final = true;
    else body.push(readCommand(k));
  }
  return { hdr, body, final };
}

// ---------------------------------------------------------------------------------------
// model → tree

function locEl(tag: string, uri: string | undefined, name?: string): XElem | null {
  if (uri === undefined) return null;
  return el(tag, [leaf('LocURI', uri), name !== undefined ? leaf('LocName', name) : null]);
}

function opt(tag: string, v: string | number | undefined): XElem | null {
  return v === undefined ? null : leaf(tag, v);
}

function mopt(tag: string, v: string | number | undefined): XElem | null {
  return v === undefined ? null : leaf(tag, v, 'metinf');
}

export function anchorTree(a: Anchor): XElem {
  return el('Anchor', [mopt('Last', a.last), mopt('Next', a.next)], 'metinf');
}

function metaEl(m: Meta | undefined): XElem | null {
  if (!m) return null;
  // Order of the MetInf DTD: Format, Type, Mark, Size, Anchor, Version, NextNonce,
  // MaxMsgSize, MaxObjSize, EMI, Mem.
  return el('Meta', [
    mopt('Format', m.format),
    mopt('Type', m.type),
    mopt('Size', m.size),
    m.anchor ? anchorTree(m.anchor) : null,
    mopt('Version', m.version),
    mopt('NextNonce', m.nextNonce),
    mopt('MaxMsgSize', m.maxMsgSize),
    mopt('MaxObjSize', m.maxObjSize),
  ]);
}

function itemEl(i: Item): XElem {
  let data: XElem | null = null;
  if (i.dataTree) data = el('Data', [i.dataTree]);
  else if (i.data !== undefined) data = leaf('Data', i.data);
  return el('Item', [
    locEl('Target', i.target),
    locEl('Source', i.source),
    locEl('SourceParent', i.sourceParent),
    locEl('TargetParent', i.targetParent),
    metaEl(i.meta),
    data,
    i.moreData ? el('MoreData') : null,
  ]);
}

function credEl(c: Cred | undefined): XElem | null {
  return c ? el('Cred', [metaEl(c.meta), leaf('Data', c.data)]) : null;
}

function commandEl(c: Command): XElem {
  switch (c.kind) {
    case 'Alert':
      return el('Alert', [
        leaf('CmdID', c.cmdId),
        c.noResp ? el('NoResp') : null,
        credEl(c.cred),
        leaf('Data', c.data),
        ...c.items.map(itemEl),
      ]);
    case 'Status':
      return el('Status', [
        leaf('CmdID', c.cmdId),
        leaf('MsgRef', c.msgRef),
        leaf('CmdRef', c.cmdRef),
        leaf('Cmd', c.cmd),
        opt('TargetRef', c.targetRef),
        opt('SourceRef', c.sourceRef),
        c.chal ? el('Chal', [metaEl(c.chal)]) : null,
        leaf('Data', c.data),
        ...(c.items ?? []).map(itemEl),
      ]);
    case 'Sync':
      return el('Sync', [
        leaf('CmdID', c.cmdId),
        c.noResp ? el('NoResp') : null,
        locEl('Target', c.target),
        locEl('Source', c.source),
        metaEl(c.meta),
        opt('NumberOfChanges', c.numberOfChanges),
        ...c.commands.map(commandEl),
      ]);
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Copy':
    case 'Move':
    case 'Put':
    case 'Get':
      return el(c.kind, [
        leaf('CmdID', c.cmdId),
        c.noResp ? el('NoResp') : null,
        metaEl(c.meta),
        ...c.items.map(itemEl),
      ]);
    case 'Results':
      return el('Results', [
        leaf('CmdID', c.cmdId),
        opt('MsgRef', c.msgRef),
        leaf('CmdRef', c.cmdRef),
        metaEl(c.meta),
        opt('TargetRef', c.targetRef),
        opt('SourceRef', c.sourceRef),
        ...c.items.map(itemEl),
      ]);
    case 'Map':
      return el('Map', [
        leaf('CmdID', c.cmdId),
        locEl('Target', c.target),
        locEl('Source', c.source),
        ...c.items.map((mi) => el('MapItem', [locEl('Target', mi.target), locEl('Source', mi.source)])),
      ]);
    case 'Other':
      return el(c.name, [leaf('CmdID', c.cmdId)]);
  }
}

export { commandEl };

export function hdrEl(h: SyncHdr): XElem {
  return el('SyncHdr', [
    leaf('VerDTD', h.verDTD),
    leaf('VerProto', h.verProto),
    leaf('SessionID', h.sessionId),
    leaf('MsgID', h.msgId),
    locEl('Target', h.target, h.targetName),
    locEl('Source', h.source, h.sourceName),
    opt('RespURI', h.respUri),
    h.noResp ? el('NoResp') : null,
    credEl(h.cred),
    metaEl(h.meta),
  ]);
}

export function messageToTree(m: Message): XElem {
  return el('SyncML', [
    hdrEl(m.hdr),
    el('SyncBody', [...m.body.map(commandEl), m.final ? el('Final') : null]),
  ]);
}
