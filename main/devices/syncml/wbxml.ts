// SyncML in WBXML (WAP Binary XML 1.2/1.3), with the SyncML 1.1/1.2 code pages written out
// from the OMA specifications: page 0 SyncML, page 1 MetInf, and the DevInf document type
// (its own page 0), which travels inside Data as an embedded WBXML document.
import { LIMITS, SyncmlCodecError, type Ns, type XElem } from './tree';

const SYNCML_TAGS = [
  'Add', 'Alert', 'Archive', 'Atomic', 'Chal', 'Cmd', 'CmdID', 'CmdRef', 'Copy', 'Cred', 'Data', 'Delete',
  'Exec', 'Final', 'Get', 'Item', 'Lang', 'LocName', 'LocURI', 'Map', 'MapItem', 'Meta', 'MsgID', 'MsgRef',
  'NoResp', 'NoResults', 'Put', 'Replace', 'RespURI', 'Results', 'Search', 'Sequence', 'SessionID',
  'SftDel', 'Source', 'SourceRef', 'Status', 'Sync', 'SyncBody', 'SyncHdr', 'SyncML', 'Target',
  'TargetRef', 'Reserved', 'VerDTD', 'VerProto', 'NumberOfChanges', 'MoreData', 'Field', 'Filter',
  'Record', 'FilterType', 'SourceParent', 'TargetParent', 'Move', 'Correlator',
];
const METINF_TAGS = [
  'Anchor', 'EMI', 'Format', 'FreeID', 'FreeMem', 'Last', 'Mark', 'MaxMsgSize', 'Mem', 'MetInf', 'Next',
  'NextNonce', 'SharedMem', 'Size', 'Type', 'Version', 'MaxObjSize', 'FieldLevel',
];
const DEVINF_TAGS = [
  'CTCap', 'CTType', 'DataStore', 'DataType', 'DevID', 'DevInf', 'DevTyp', 'DisplayName', 'DSMem', 'Ext',
  'FwV', 'HwV', 'Man', 'MaxGUIDSize', 'MaxID', 'MaxMem', 'Mod', 'OEM', 'ParamName', 'PropName', 'Rx',
  'Rx-Pref', 'SharedMem', 'MaxSize', 'SourceRef', 'SwV', 'SyncCap', 'SyncType', 'Tx', 'Tx-Pref', 'ValEnum',
  'VerCT', 'VerDTD', 'XNam', 'XVal', 'UTC', 'SupportNumberOfChanges', 'SupportLargeObjs', 'Property',
  'PropParam', 'MaxOccur', 'NoTruncate', '', 'Filter-Rx', 'FilterCap', 'FilterKeyword', 'FieldLevel',
  'SupportHierarchicalSync',
];

function table(tags: string[]): { byTok: Map<number, string>; byName: Map<string, number> } {
  const byTok = new Map<number, string>();
  const byName = new Map<string, number>();
  tags.forEach((t, idx) => {
    if (!t) return;
    byTok.set(idx + 5, t);
    byName.set(t, idx + 5);
  });
  return { byTok, byName };
}
const SYNCML = table(SYNCML_TAGS);
const METINF = table(METINF_TAGS);
const DEVINF = table(DEVINF_TAGS);

const SWITCH_PAGE = 0x00;
const END = 0x01;
const ENTITY = 0x02;
const STR_I = 0x03;
const LITERAL = 0x04;
const STR_T = 0x83;
const OPAQUE = 0xc3;

/** The public ids a SyncML WBXML document may carry (numeric, or as a string-table entry). */
const PUBLIC_IDS: Record<number, string> = {
  0x0fd1: '-//SYNCML//DTD SyncML 1.0//EN',
  0x0fd2: '-//SYNCML//DTD DevInf 1.0//EN',
  0x0fd3: '-//SYNCML//DTD SyncML 1.1//EN',
  0x0fd4: '-//SYNCML//DTD DevInf 1.1//EN',
  0x1201: '-//SYNCML//DTD SyncML 1.2//EN',
  0x1202: '-//SYNCML//DTD MetInf 1.2//EN',
  0x1203: '-//SYNCML//DTD DevInf 1.2//EN',
};

class Reader {
  i = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.i >= this.b.length) throw new SyncmlCodecError('WBXML: unexpected end of data');
    return this.b[this.i++] as number;
  }
  mbUint(): number {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const c = this.byte();
      v = v * 128 + (c & 0x7f);
      if (!(c & 0x80)) return v;
    }
    throw new SyncmlCodecError('WBXML: multi-byte integer too long');
  }
  bytes(len: number): Uint8Array {
    if (len > this.b.length - this.i) throw new SyncmlCodecError('WBXML: length beyond the data');
    const out = this.b.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }
  cstr(): Uint8Array {
    const end = this.b.indexOf(0, this.i);
    if (end < 0) throw new SyncmlCodecError('WBXML: unterminated inline string');
    const out = this.b.subarray(this.i, end);
    this.i = end + 1;
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

export interface WbxmlDoc {
  root: XElem;
  publicId: string;
  version: number;
}

/** True if the bytes look like a WBXML document (used to recognise an embedded DevInf). */
export function looksLikeWbxml(b: Uint8Array): boolean {
  return b.length > 4 && b[0] !== undefined && b[0] >= 1 && b[0] <= 3 && b[0] !== 0x3c;
}

/** `embeddedDevInf`: the document sits in a DevInf Data element. Its public id is not to
 *  be trusted there (SyncEvolution labels its DevInf 1.2 with the SyncML 1.1 number). */
export function decodeWbxml(bytes: Uint8Array, budget = { elements: 0 }, depth0 = 0, embeddedDevInf = false): WbxmlDoc {
  const r = new Reader(bytes);
  const version = r.byte();
  if (version < 1 || version > 3) throw new SyncmlCodecError(`WBXML: unsupported version ${version}`);
  const pub = r.mbUint();
  let pubIndex = -1;
  if (pub === 0) pubIndex = r.mbUint();
  const charset = r.mbUint();
  if (charset !== 106 && charset !== 0 && charset !== 3 && charset !== 4) {
    throw new SyncmlCodecError(`WBXML: unsupported charset ${charset}`);
  }
  const strtbl = r.bytes(r.mbUint());
  const strAt = (off: number): Uint8Array => {
    if (off >= strtbl.length) throw new SyncmlCodecError('WBXML: string table offset out of range');
    const end = strtbl.indexOf(0, off);
    return strtbl.subarray(off, end < 0 ? strtbl.length : end);
  };
  let publicId = PUBLIC_IDS[pub] ?? '';
  if (pubIndex >= 0) publicId = utf8.decode(strAt(pubIndex));
  const isDevInf = embeddedDevInf || /devinf/i.test(publicId);
  const pages: Record<number, { t: typeof SYNCML; ns: Ns }> = isDevInf
    ? { 0: { t: DEVINF, ns: 'devinf' } }
    : { 0: { t: SYNCML, ns: 'syncml' }, 1: { t: METINF, ns: 'metinf' } };
  let page = 0;

  const stack: XElem[] = [];
  let root: XElem | undefined;
  // Text arrives in pieces (inline strings, table strings, entities); joined per element.
  const textParts = new Map<XElem, Uint8Array[]>();
  const addText = (b: Uint8Array) => {
    const top = stack[stack.length - 1];
    if (!top) throw new SyncmlCodecError('WBXML: content outside the root');
    const parts = textParts.get(top) ?? [];
    parts.push(b);
    textParts.set(top, parts);
  };
  const closeTop = () => {
    const e = stack.pop() as XElem;
    const parts = textParts.get(e);
    if (parts) {
      textParts.delete(e);
      const all = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts);
      // An embedded DevInf (SyncML 1.1/1.2 put it inside Data as its own WBXML document).
      if (e.opaque && e.tag === 'Data' && looksLikeWbxml(all)) {
        try {
          const inner = decodeWbxml(all, budget, depth0 + stack.length + 1, true);
          if (inner.root.tag === 'DevInf') {
            e.kids.push(inner.root);
            return;
          }
        } catch {
          // not a document after all: keep it as data
        }
      }
      e.text = utf8.decode(all);
    }
  };

  while (r.i < bytes.length) {
    const tok = r.byte();
    switch (tok) {
      case SWITCH_PAGE:
        page = r.byte();
        if (!pages[page]) throw new SyncmlCodecError(`WBXML: unknown code page ${page}`);
        break;
      case END:
        if (!stack.length) throw new SyncmlCodecError('WBXML: END without an open element');
        closeTop();
        if (!stack.length) {
          // trailing bytes after the root are ignored only if they are padding
          return { root: root as XElem, publicId, version };
        }
        break;
      case STR_I:
        addText(r.cstr());
        break;
      case STR_T:
        addText(strAt(r.mbUint()));
        break;
      case OPAQUE: {
        addText(r.bytes(r.mbUint()));
        const top = stack[stack.length - 1];
        if (top) top.opaque = true;
        break;
      }
      case ENTITY: {
        const cp = r.mbUint();
        if (cp > 0x10ffff) throw new SyncmlCodecError('WBXML: bad entity');
        addText(utf8enc.encode(String.fromCodePoint(cp)));
        break;
      }
      case LITERAL:
      case 0x44:
      case 0x84:
      case 0xc4:
        throw new SyncmlCodecError('WBXML: literal tags are not used by SyncML');
      default: {
        const id = tok & 0x3f;
        if (id < 5) throw new SyncmlCodecError(`WBXML: unsupported token 0x${tok.toString(16)}`);
        if (tok & 0x80) throw new SyncmlCodecError('WBXML: attributes are not used by SyncML');
        const p = pages[page] as { t: typeof SYNCML; ns: Ns };
        const tag = p.t.byTok.get(id);
        if (!tag) throw new SyncmlCodecError(`WBXML: unknown tag 0x${id.toString(16)} on page ${page}`);
        if (++budget.elements > LIMITS.maxElements) throw new SyncmlCodecError('WBXML: too many elements');
        if (depth0 + stack.length >= LIMITS.maxDepth) throw new SyncmlCodecError('WBXML: nesting too deep');
        const e: XElem = { tag, ns: p.ns, kids: [], text: '' };
        const parent = stack[stack.length - 1];
        if (parent) parent.kids.push(e);
        else if (root) throw new SyncmlCodecError('WBXML: a second root element');
        else root = e;
        if (tok & 0x40) stack.push(e);
      }
    }
  }
  if (stack.length || !root) throw new SyncmlCodecError('WBXML: document ends inside an element');
  return { root, publicId, version };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

class Writer {
  chunks: number[] = [];
  parts: Uint8Array[] = [];
  byte(b: number) {
    this.chunks.push(b);
  }
  flush() {
    if (this.chunks.length) {
      this.parts.push(Uint8Array.from(this.chunks));
      this.chunks = [];
    }
  }
  raw(b: Uint8Array) {
    this.flush();
    this.parts.push(b);
  }
  mbUint(v: number) {
    const tmp: number[] = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    for (const t of tmp) this.byte(t);
  }
  done(): Uint8Array {
    this.flush();
    return concat(this.parts);
  }
}

/** Elements whose content is sent as opaque data rather than an inline string: payloads
 *  (vCards may hold NUL-free but arbitrary text; opaque needs no terminator scanning). */
const OPAQUE_TAGS = new Set(['Data']);

/** Encodes a tree as a WBXML 1.2 document whose public id is given as a string-table entry
 *  (how SyncML 1.2 documents announce themselves). */
export function encodeWbxml(root: XElem, publicId: string): Uint8Array {
  const w = new Writer();
  const isDevInf = /devinf/i.test(publicId);
  w.byte(0x02);
  w.byte(0x00);
  w.byte(0x00); // public id: string table index 0
  w.byte(106); // UTF-8
  const pid = utf8enc.encode(publicId);
  w.mbUint(pid.length + 1);
  w.raw(pid);
  w.byte(0);
  let page = 0;
  const walk = (e: XElem) => {
    if (e.ns === 'devinf' && !isDevInf) {
      // DevInf inside a SyncML document: Data holds the embedded DevInf document (done by
      // the Data branch below); a stray DevInf element elsewhere cannot be encoded.
      throw new SyncmlCodecError('WBXML: DevInf element outside Data');
    }
    const want = e.ns === 'metinf' ? 1 : 0;
    const t = e.ns === 'metinf' ? METINF : e.ns === 'devinf' ? DEVINF : SYNCML;
    if (want !== page) {
      w.byte(SWITCH_PAGE);
      w.byte(want);
      page = want;
    }
    const id = t.byName.get(e.tag);
    if (id === undefined) throw new SyncmlCodecError(`WBXML: no token for ${e.tag}`);
    const devinfKid = e.kids.length === 1 && e.kids[0]?.ns === 'devinf' && !isDevInf ? e.kids[0] : undefined;
    const hasContent = e.kids.length > 0 || e.text !== '';
    w.byte(id | (hasContent ? 0x40 : 0));
    if (!hasContent) return;
    if (devinfKid) {
      const inner = encodeWbxml(devinfKid, publicId.replace(/SyncML/i, 'DevInf'));
      w.byte(OPAQUE);
      w.mbUint(inner.length);
      w.raw(inner);
    } else if (e.kids.length) {
      for (const k of e.kids) walk(k);
    } else {
      const b = utf8enc.encode(e.text);
      if (OPAQUE_TAGS.has(e.tag) || e.opaque || b.includes(0)) {
        w.byte(OPAQUE);
        w.mbUint(b.length);
        w.raw(b);
      } else {
        w.byte(STR_I);
        w.raw(b);
        w.byte(0);
      }
    }
    w.byte(END);
  };
  walk(root);
  return w.done();
}

/** The size one element adds to a WBXML message (upper bound, for MaxMsgSize packing). */
export function wbxmlSize(e: XElem): number {
  let size = 4;
  if (e.kids.length === 0) return size + utf8enc.encode(e.text).length + 6;
  for (const k of e.kids) size += wbxmlSize(k);
  if (e.kids[0]?.ns === 'devinf') size += 64;
  return size;
}
