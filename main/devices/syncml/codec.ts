// One entry point for both encodings: bytes + content type in, typed message out, and back.
import { messageFromTree, messageToTree, type Message, type SyncmlVersion } from './model';
import { SyncmlCodecError } from './tree';
import { decodeWbxml, encodeWbxml } from './wbxml';
import { parseXml, writeXml } from './xml';

export type Encoding = 'xml' | 'wbxml';

export const CONTENT_TYPE: Record<Encoding, string> = {
  xml: 'application/vnd.syncml+xml',
  wbxml: 'application/vnd.syncml+wbxml',
};

export function encodingOf(contentType: string | undefined): Encoding | null {
  const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (ct === CONTENT_TYPE.wbxml) return 'wbxml';
  if (ct === CONTENT_TYPE.xml || ct === 'application/xml' || ct === 'text/xml') return 'xml';
  return null;
}

export function versionOf(m: Message): SyncmlVersion {
  return m.hdr.verDTD === '1.1' ? '1.1' : '1.2';
}

export function decodeMessage(bytes: Uint8Array, encoding: Encoding): Message {
  if (encoding === 'wbxml') {
    const doc = decodeWbxml(bytes);
    return messageFromTree(doc.root);
  }
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  return messageFromTree(parseXml(text));
}

export function encodeMessage(m: Message, encoding: Encoding, version: SyncmlVersion = '1.2'): Uint8Array {
  const tree = messageToTree(m);
  if (encoding === 'wbxml') return encodeWbxml(tree, `-//SYNCML//DTD SyncML ${version}//EN`);
  return new TextEncoder().encode(writeXml(tree, `SYNCML:SYNCML${version}`));
}

export { SyncmlCodecError };
