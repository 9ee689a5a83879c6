// SyncML in XML: a small, bounded parser and a writer for the element tree. A general XML
// library would accept DTDs, external entities and unlimited nesting; SyncML needs none of
// them, so a hostile message meets only what a SyncML message can hold.
import { LIMITS, SyncmlCodecError, type Ns, type XElem } from './tree';

const NS_OF: Record<string, Ns> = {
  'syncml:metinf': 'metinf',
  'syncml:devinf': 'devinf',
};

function nsFromUri(uri: string, inherited: Ns): Ns {
  const u = uri.trim().toLowerCase();
  if (NS_OF[u]) return NS_OF[u];
  if (u.startsWith('syncml:syncml')) return 'syncml';
  return inherited;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});/g, (m, name: string) => {
    if (name[0] === '#') {
      const cp = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        throw new SyncmlCodecError(`bad character reference ${m}`);
      }
      return String.fromCodePoint(cp);
    }
    const v = ENTITIES[name];
    if (v === undefined) throw new SyncmlCodecError(`unknown entity ${m}`);
    return v;
  });
}

/** Parses one XML document into the tree. Throws SyncmlCodecError on anything malformed. */
export function parseXml(input: string): XElem {
  let i = 0;
  const n = input.length;
  let count = 0;
  const stack: XElem[] = [];
  let root: XElem | undefined;

  const fail = (msg: string): never => {
    throw new SyncmlCodecError(`XML: ${msg} at offset ${i}`);
  };
  const skipWs = () => {
    while (i < n && /\s/.test(input[i] as string)) i++;
  };

  if (input.charCodeAt(0) === 0xfeff) i = 1;
  while (i < n) {
    const lt = input.indexOf('<', i);
    if (lt < 0) {
      if (stack.length > 0 && input.slice(i).trim() !== '') fail('unterminated content');
      if (stack.length === 0 && input.slice(i).trim() !== '') fail('text outside the root');
      break;
    }
    if (lt > i) {
      const raw = input.slice(i, lt);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(raw);
      else if (raw.trim() !== '') fail('text outside the root');
    }
    i = lt;
    if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root');
      (top as XElem).text += input.slice(i + 9, end);
      i = end + 3;
    } else if (input.startsWith('<!DOCTYPE', i)) {
      // A DOCTYPE with an internal subset could declare entities; SyncML never needs one.
      const end = input.indexOf('>', i);
      if (end < 0) fail('unterminated DOCTYPE');
      if (input.slice(i, end).includes('[')) fail('DOCTYPE internal subsets are not accepted');
      if (root || stack.length) fail('DOCTYPE after the root');
      i = end + 1;
    } else if (input.startsWith('</', i)) {
      const end = input.indexOf('>', i);
      if (end < 0) fail('unterminated end tag');
      const name = input.slice(i + 2, end).trim();
      const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
      const top = stack.pop();
      if (!top || top.tag !== local) fail(`unexpected </${name}>`);
      i = end + 1;
    } else {
      i++;
      const m = /^[A-Za-z_][\w.:-]*/.exec(input.slice(i, i + 200));
      if (!m) fail('bad tag name');
      const qname = (m as RegExpExecArray)[0];
      i += qname.length;
      const parent = stack[stack.length - 1];
      let ns: Ns = parent ? parent.ns : 'syncml';
      // attributes: only xmlns matters to SyncML; others are read and ignored
      let selfClose = false;
      for (;;) {
        skipWs();
        if (i >= n) fail('unterminated start tag');
        if (input[i] === '>') {
          i++;
          break;
        }
        if (input.startsWith('/>', i)) {
          i += 2;
          selfClose = true;
          break;
        }
        const am = /^([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(input.slice(i, i + 2000));
        if (!am) fail('bad attribute');
        const [whole, aname, aval] = am as RegExpExecArray;
        if (aname === 'xmlns') ns = nsFromUri(decodeEntities((aval as string).slice(1, -1)), ns);
        i += (whole as string).length;
      }
      const tag = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
      if (++count > LIMITS.maxElements) fail('too many elements');
      if (stack.length >= LIMITS.maxDepth) fail('nesting too deep');
      const e: XElem = { tag, ns, kids: [], text: '' };
      if (parent) parent.kids.push(e);
      else if (root) fail('a second root element');
      else root = e;
      if (!selfClose) stack.push(e);
    }
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]?.tag}>`);
  if (!root) fail('no root element');
  return root as XElem;
}

function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

const NS_URI: Record<Ns, string> = { syncml: '', metinf: 'syncml:metinf', devinf: 'syncml:devinf' };

/** Writes the tree. `rootNs` is the namespace URI of the root (SYNCML:SYNCML1.2). */
export function writeXml(root: XElem, rootNsUri: string): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const walk = (e: XElem, parentNs: Ns | null) => {
    let attrs = '';
    if (parentNs === null) attrs = rootNsUri ? ` xmlns="${rootNsUri}"` : '';
    else if (e.ns !== parentNs) attrs = ` xmlns="${NS_URI[e.ns]}"`;
    if (e.kids.length === 0) {
      if (e.text === '') out.push(`<${e.tag}${attrs}/>`);
      else out.push(`<${e.tag}${attrs}>${escapeText(e.text)}</${e.tag}>`);
      return;
    }
    out.push(`<${e.tag}${attrs}>`);
    for (const k of e.kids) walk(k, e.ns);
    out.push(`</${e.tag}>`);
  };
  walk(root, null);
  return out.join('');
}

/** The size one element adds to an XML message (for MaxMsgSize packing). */
export function xmlSize(e: XElem, parentNs: Ns): number {
  let size = e.tag.length * 2 + 5;
  if (e.ns !== parentNs) size += NS_URI[e.ns].length + 9;
  if (e.kids.length === 0) return size + Buffer.byteLength(escapeText(e.text));
  for (const k of e.kids) size += xmlSize(k, e.ns);
  return size;
}
