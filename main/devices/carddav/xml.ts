// WebDAV request bodies: fast-xml-parser with entity expansion off, namespaces resolved here.
// A body with a DOCTYPE is refused outright (no entity can be declared, so none can
// expand: billion laughs and external entities end here), and nesting is bounded before
// the parser sees the text.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const DAV = 'DAV:';
export const CARDDAV = 'urn:ietf:params:xml:ns:carddav';
export const CS = 'http://calendarserver.org/ns/';

export interface XNode {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  text: string;
}

export class XmlError extends Error {}

export const MAX_DEPTH = 32;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function unescapeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function checkDepth(xml: string): void {
  let depth = 0;
  // Comments, CDATA sections and processing instructions hold no elements, and a quoted
  // attribute value may hold '>' and '</x>': neither may move the count (else text that
  // looks like end tags would let real nesting past the bound).
  const text = xml.replace(/<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)/g, '');
  const tag = /<(\/?)([A-Za-z_][^\s/>]*)(?:[^>"']|"[^"]*"|'[^']*')*?(\/?)>/g;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (m[1]) depth -= 1;
    else if (!m[3]) {
      depth += 1;
      if (depth > MAX_DEPTH) throw new XmlError(`the XML is nested deeper than ${MAX_DEPTH} elements`);
    }
  }
}

type Raw = Record<string, unknown>;

/** Parses a request body into a namespace-resolved tree (the document element). */
export function parseXml(text: string): XNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError('a DOCTYPE or ENTITY declaration is not accepted');
  checkDepth(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlError(`malformed XML: ${valid.err.msg}`);
  let raw: Raw[];
  try {
    raw = parser.parse(text) as Raw[];
  } catch (e) {
    throw new XmlError(`malformed XML: ${(e as Error).message}`);
  }
  const roots = raw.map((r) => build(r, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 1)).filter((n): n is XNode => n !== null);
  if (roots.length !== 1) throw new XmlError('the XML has no single document element');
  return roots[0]!;
}

function build(r: Raw, scope: Map<string, string>, depth: number): XNode | null {
  const key = Object.keys(r).find((k) => k !== ':@');
  if (!key || key === '#text' || key.startsWith('?') || key.startsWith('!')) return null;
  // The bound again, on the tree itself: whatever the text scan above missed stops here.
  if (depth > MAX_DEPTH) throw new XmlError(`the XML is nested deeper than ${MAX_DEPTH} elements`);
  const attrsRaw = (r[':@'] ?? {}) as Record<string, string>;
  let inner = scope;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsRaw)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      const uri = unescapeXml(v);
      // Namespaces in XML §3: a prefix cannot be bound to the empty name.
      if (k !== 'xmlns' && uri === '') throw new XmlError(`the namespace prefix ${k.slice(6)} is bound to an empty name`);
      if (inner === scope) inner = new Map(scope);
      inner.set(k === 'xmlns' ? '' : k.slice(6), uri);
    } else attrs[k] = unescapeXml(v);
  }
  const colon = key.indexOf(':');
  const prefix = colon < 0 ? '' : key.slice(0, colon);
  const name = colon < 0 ? key : key.slice(colon + 1);
  // A QName has one colon at most, and a local part (Namespaces in XML §4).
  if (!name || name.includes(':') || (colon === 0)) throw new XmlError(`${key} is not an element name`);
  const ns = inner.get(prefix);
  if (ns === undefined && prefix !== '') throw new XmlError(`undeclared namespace prefix ${prefix}`);
  const node: XNode = { ns: ns ?? '', name, attrs, children: [], text: '' };
  for (const c of (r[key] ?? []) as Raw[]) {
    if ('#text' in c) node.text += unescapeXml(String(c['#text']));
    else {
      const child = build(c, inner, depth + 1);
      if (child) node.children.push(child);
    }
  }
  return node;
}

export function child(n: XNode | undefined, ns: string, name: string): XNode | undefined {
  return n?.children.find((c) => c.ns === ns && c.name === name);
}

export function children(n: XNode | undefined, ns: string, name: string): XNode[] {
  return n ? n.children.filter((c) => c.ns === ns && c.name === name) : [];
}

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}
