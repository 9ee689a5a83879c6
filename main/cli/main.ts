// The `concord` command line. Every command that touches a hub takes `--data DIR`, the
// hub's data folder (default: the platform's per-user data folder).
import fs from 'node:fs';
import path from 'node:path';
import { Hub } from '../hub/hub';
import { fromContact, parseScenario, ScenarioError } from '../scenario/format';
import { runScenario } from '../scenario/runner';
import { defaultDataDir } from '../app/paths';
import { safetyCommand, SAFETY_USAGE } from './safety';

const USAGE = `usage: concord <command> [options]

  serve [--data DIR] [--port N] [--demo] [--lan-port N]   run the hub headless, UI in a browser
  scenario run FILE... [--json]                           play sync scenarios against the real hub
  contacts export [--format json|vcf] [--data DIR]        print the truth
  devices list [--data DIR]                               list paired devices and their pending work
  sim handset --link PATH [options]                       a simulated AT phone on a serial link
  device pair syncml NAME --user U --password P           pair a SyncML client without the UI
${SAFETY_USAGE}`;

export interface Flags {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `--name value`, `--name=value` and bare `--flag`. */
export function parseFlags(argv: readonly string[], booleans: readonly string[] = []): Flags {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (booleans.includes(a.slice(2)) || i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) flags.set(a.slice(2), true);
    else flags.set(a.slice(2), argv[++i]!);
  }
  return { positional, flags };
}

function flagString(f: Flags, name: string): string | undefined {
  const v = f.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    const safety = safetyCommand(argv);
    if (safety) return await safety.run(safety.rest);
    switch (cmd) {
      case 'scenario':
        if (sub === 'run') return await scenarioRun(rest);
        break;
      case 'contacts':
        if (sub === 'export') return await contactsExport(rest);
        break;
      case 'devices':
        if (sub === 'list') return await devicesList(rest);
        break;
      case 'serve': {
        const { runServe } = await import('../app/serve');
        return await runServe(argv.slice(1));
      }
      case 'sim':
        if (sub === 'handset') {
          const { runSimHandset } = await import('../devices/at-phonebook/simulator');
          return await runSimHandset(rest);
        }
        break;
      case 'device':
        if (sub === 'pair' && rest[0] === 'syncml') {
          const { runPairCommand } = await import('../devices/syncml/pair');
          return await runPairCommand(rest.slice(1));
        }
        break;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        break;
    }
  } catch (e) {
    process.stderr.write(`concord: ${(e as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`concord: unknown command "${argv.join(' ')}"\n${USAGE}`);
  return 2;
}

/** `concord scenario run FILE... [--json]`: one line per scenario, non-zero if any failed. */
async function scenarioRun(argv: string[]): Promise<number> {
  const f = parseFlags(argv, ['json']);
  const json = f.flags.has('json');
  if (f.positional.length === 0) {
    process.stderr.write('usage: concord scenario run FILE... [--json]\n');
    return 2;
  }
  let failed = 0;
  for (const file of f.positional) {
    let result: { name: string; pass: boolean; reason?: string };
    try {
      const text = fs.readFileSync(file, 'utf8');
      result = await runScenario(parseScenario(text, file));
    } catch (e) {
      const reason = e instanceof ScenarioError ? `malformed scenario: ${e.message}` : `cannot run ${file}: ${(e as Error).message}`;
      result = { name: path.basename(file), pass: false, reason };
    }
    if (!result.pass) failed += 1;
    if (json) {
      process.stdout.write(`${JSON.stringify({ file, name: result.name, pass: result.pass, status: result.pass ? 'PASS' : 'FAIL', ...(result.reason ? { reason: result.reason } : {}) })}\n`);
    } else {
      process.stdout.write(result.pass ? `PASS ${result.name}\n` : `FAIL ${result.name}: ${result.reason}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function openHub(f: Flags): Hub {
  const dataDir = flagString(f, 'data') ?? defaultDataDir();
  return Hub.open({ dataDir });
}

/** `concord contacts export --format json|vcf`: the truth on standard output. */
async function contactsExport(argv: string[]): Promise<number> {
  const f = parseFlags(argv);
  const format = flagString(f, 'format') ?? 'json';
  if (format !== 'json' && format !== 'vcf') {
    process.stderr.write('concord contacts export: --format must be json or vcf\n');
    return 2;
  }
  const hub = openHub(f);
  try {
    const contacts = hub.contacts();
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(contacts.map((r) => fromContact(r.contact)), null, 2)}\n`);
    } else {
      const { writeVCard } = await import('../core/vcard');
      for (const r of contacts) process.stdout.write(writeVCard(r.contact, '3.0', { uid: r.guid }));
    }
    return 0;
  } finally {
    await hub.close();
  }
}

async function devicesList(argv: string[]): Promise<number> {
  const hub = openHub(parseFlags(argv));
  try {
    for (const d of hub.devices()) {
      const p = d.pending;
      process.stdout.write(`${d.spid}\t${d.name}\t${d.kind}/${d.link}\tpriority ${d.priority}\tpending ${p.add} add, ${p.update} update, ${p.delete} delete\n`);
    }
    return 0;
  } finally {
    await hub.close();
  }
}
