// The element tree both encodings decode into and encode from. XML and WBXML differ only in
// how they spell this tree, so the typed model (model.ts) is built from it once.

/** Which code page / namespace an element belongs to. SyncML elements carry no namespace in
 *  XML (the default one); MetInf elements are `xmlns="syncml:metinf"`; DevInf is its own
 *  document type, embedded in Data. */
export type Ns = 'syncml' | 'metinf' | 'devinf';

export interface XElem {
  tag: string;
  ns: Ns;
  kids: XElem[];
  /** Character data (XML text or WBXML inline string / opaque read as UTF-8). */
  text: string;
  /** Set when the content came as WBXML opaque data (kept so that an encoder can send it
   *  back the same way: Data with binary payloads). */
  opaque?: boolean;
}

export class SyncmlCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncmlCodecError';
  }
}

/** Limits that keep a hostile message from costing more than its size: depth and element
 *  count. Both encodings check them while decoding. */
export const LIMITS = { maxDepth: 48, maxElements: 400_000 };

export function el(tag: string, kids: (XElem | null | undefined)[] = [], ns: Ns = 'syncml'): XElem {
  return { tag, ns, kids: kids.filter((k): k is XElem => !!k), text: '' };
}

export function leaf(tag: string, text: string | number, ns: Ns = 'syncml'): XElem {
  return { tag, ns, kids: [], text: String(text) };
}

export function child(e: XElem | undefined, tag: string): XElem | undefined {
  if (!e) return undefined;
  for (const k of e.kids) if (k.tag === tag) return k;
  return undefined;
}

export function children(e: XElem | undefined, tag: string): XElem[] {
  if (!e) return [];
  return e.kids.filter((k) => k.tag === tag);
}

export function textOf(e: XElem | undefined, tag?: string): string | undefined {
  const t = tag === undefined ? e : child(e, tag);
  return t ? t.text.trim() : undefined;
}
