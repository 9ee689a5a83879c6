// The real CardDAV clients of the tests: Debian's vdirsyncer and SyncEvolution's CardDAV
// backend, through the shared scripts; and the parsed-field comparison of folders of cards.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { normalizeContact, type Contact } from '../../../../main/core/contact';
import { parseVCard } from '../../../../main/core/vcard';
import { CARDDAV_TOOLS, SEVO_TOOLS } from './harness';

export function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ rc: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const rc = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ rc, out: `${stdout}${stderr}` });
    });
  });
}

export function vdirsyncer(url: string, user: string, pass: string, dir: string, state: string, env: Record<string, string> = {}) {
  return run('bash', [path.join(CARDDAV_TOOLS, 'vdirsyncer-sync.sh'), url, user, pass, dir], { VDS_STATE: state, ...env });
}

/** Another sync of a pair vdirsyncer-sync.sh set up in `state` (no discovery: one process). */
export function vdirsyncerAgain(state: string) {
  return run('vdirsyncer', ['-v', 'WARNING', 'sync', 'sync'], { VDIRSYNCER_CONFIG: path.join(state, 'config') });
}

export function syncevolution(url: string, user: string, pass: string, dir: string, state: string, mode = 'two-way') {
  return run('bash', [path.join(SEVO_TOOLS, 'carddav-client.sh'), url, user, pass, dir, mode], { SE_STATE: state });
}

export function genCards(n: number, dir: string, seed: number): void {
  execFileSync(process.execPath, [path.join(CARDDAV_TOOLS, 'gen-vcards.mjs'), 'gen', String(n), dir, String(seed)]);
}

export function mutateCards(dir: string, changed: number, deleted: number, added: number, seed: number): void {
  execFileSync(process.execPath, [path.join(CARDDAV_TOOLS, 'gen-vcards.mjs'), 'mutate', dir, String(changed), String(deleted), String(added), String(seed)]);
}

/** A contact's data elements as one comparable string (formatting is not a difference). */
export function fieldsOf(c: Contact): string {
  const n = normalizeContact(c, 'GB');
  const sort = (l: { type: string; value: string }[]) => [...l].map((x) => `${x.type}=${x.value}`).sort();
  // SyncEvolution writes a birthday in the basic format (19580409): the same date.
  const bday = /^\d{4}-\d{2}-\d{2}$/.test(n.bday) ? n.bday.replace(/-/g, '') : n.bday;
  return JSON.stringify([n.fn, n.n, sort(n.tel), sort(n.email), sort(n.adr), n.org, n.title, bday, n.note, sort(n.url)]);
}

/** The parsed fields of every card in a folder, sorted (group cards left out). */
export function folderFields(dir: string): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    if (!fs.statSync(p).isFile() || f.startsWith('.')) continue;
    const text = fs.readFileSync(p, 'utf8');
    if (/^(?:KIND|X-ADDRESSBOOKSERVER-KIND):group/im.test(text)) continue;
    out.push(fieldsOf(parseVCard(text).contact));
  }
  return out.sort();
}
