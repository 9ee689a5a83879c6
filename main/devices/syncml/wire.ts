// What goes in and out of the SyncML server over HTTP, and the plain-text answers it gives
// instead of a SyncML message.
import type { Command, Message, Meta } from './model';

export interface Reply {
  status: number;
  contentType: string;
  body: Uint8Array;
}

export interface Request {
  body: Uint8Array;
  contentType: string | undefined;
  /** The session token from the URL (`?s=`), if any. */
  token: string | undefined;
  remote: string;
  /** The endpoint's URL as this client reached it (its Host header, or the configured
   *  public URL): RespURI sends the client back there. Without it, the server's baseUrl. */
  baseUrl?: string;
}

/** Thrown to answer with an HTTP error instead of a SyncML message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function plain(status: number, text: string): Reply {
  return { status, contentType: 'text/plain; charset=utf-8', body: new TextEncoder().encode(text + '\n') };
}

/** The Status of a message's SyncHdr (authentication result), with a challenge if any. */
export function hdrStatus(msg: Message, code: number, chal: Meta | undefined): Command {
  return {
    kind: 'Status',
    cmdId: '1',
    msgRef: msg.hdr.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRef: msg.hdr.target,
    sourceRef: msg.hdr.source,
    data: code,
    ...(chal ? { chal } : {}),
  };
}
