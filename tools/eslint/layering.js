// ESLint rule that enforces the layering of shared/design/style.md: imports run one way.
//
// main/ is a stack of layers. A file may import from its own layer and from any layer of a
// LOWER rank; an import from a higher rank, or from another layer of the same rank, fails
// (except the two entry points, main/app and main/cli, which are one shell).
//
//   rank 0  main/core       the method: pure, no I/O, no clock, no Node built-ins
//   rank 1  main/dss        the store (the only home of better-sqlite3 in main/)
//   rank 2  main/hub        the sync manager: one run of the method over the store
//   rank 3  main/devices    one folder per protocol, each a SyncPoint for the hub
//   rank 4  main/scenario   the scenario runner: a hub and simulated devices (imports
//           main/api        hub and devices/simulated); the UI contract and its handlers.
//                           Neither of the two imports the other.
//   rank 5  main/app        the shells: Electron, the headless host, the command line
//           main/cli
//
// Apart from the stack:
//   renderer/   imports from main/ only `import type` from main/api/, no Node built-ins;
//   native/     imported only by main/devices/ and main/app/; imports nothing from main/;
//   native modules (better-sqlite3, serialport, usb, dbus) only in native/ and main/dss/;
//   electron only in main/app/;
//   nothing in main/, native/ or renderer/ imports from test/, bench/ or tools/.
// test/, bench/, tools/ and bin/ stand above everything and may import any layer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';


/** The rank table: each row one rank, lowest first. `peers` says whether the layers of a row
 *  may import each other. */
export const RANKS = [
  { layers: ['main/core'] },
  { layers: ['main/dss'] },
  { layers: ['main/hub'] },
  { layers: ['main/devices'] },
  { layers: ['main/scenario', 'main/api'], peers: false },
  { layers: ['main/app', 'main/cli'], peers: true },
];

// Pure, I/O-free libraries the method itself needs (phone numbers to E.164).
const CORE_PACKAGES = ['libphonenumber-js', 'libphonenumber-js/max', 'libphonenumber-js/min'];
const NATIVE_PACKAGES = [/^better-sqlite3$/, /^serialport$/, /^@serialport\//, /^usb$/, /^dbus(-[\w-]+)?$/, /^@[\w-]+\/dbus(-[\w-]+)?$/];
const NODE_BUILTINS = new Set(['assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'process', 'readline', 'stream', 'tls', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib']);
const NATIVE_USERS = ['main/devices', 'main/app'];
const TOOLING = ['test', 'bench', 'tools', 'bin'];

/** The repository root: this file lives in tools/eslint/. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function rel(p) {
  return path.relative(ROOT, p).split(path.sep).join('/');
}

/** The layer a repository path belongs to: 'main/<folder>', or its top folder. */
function layerOf(file) {
  const parts = file.split('/');
  if (parts[0] === 'main') return parts.length > 2 ? `main/${parts[1]}` : 'main';
  return parts.length > 1 ? parts[0] : '.';
}

function rowOf(layer) {
  const i = RANKS.findIndex((r) => r.layers.includes(layer));
  return i < 0 ? undefined : { rank: i, row: RANKS[i] };
}

function isBuiltin(source) {
  return source.startsWith('node:') || NODE_BUILTINS.has(source);
}

/** Why `file` may not import `source` (resolved to `target` when relative), or undefined. */
export function violation(file, source, target, typeOnly) {
  const from = layerOf(file);
  if (TOOLING.includes(from) || from === '.') return undefined;

  if (target === null) {
    // A package or a Node built-in.
    if (from === 'main/core' && !CORE_PACKAGES.includes(source)) {
      return 'main/core is pure: it may not import packages or Node built-ins';
    }
    if (NATIVE_PACKAGES.some((re) => re.test(source)) && !(from === 'native' || from === 'main/dss')) {
      return 'native modules are imported only in native/ and main/dss/';
    }
    if ((source === 'electron' || source.startsWith('electron/')) && from !== 'main/app') {
      return 'electron is imported only in main/app/';
    }
    if (from === 'renderer' && isBuiltin(source)) return 'the renderer may not use Node built-ins';
    return undefined;
  }

  const to = layerOf(target);
  if (to === from) return undefined;
  if (TOOLING.includes(to)) return `${from}/ may not import from ${to}/`;

  if (from === 'renderer') {
    if (to === 'main/api' && typeOnly) return undefined;
    return 'the renderer may import from main/ only `import type` from main/api/';
  }
  if (to === 'renderer') return `${from}/ may not import from renderer/`;
  if (from === 'native') return 'native/ imports nothing from main/';
  if (to === 'native') {
    return NATIVE_USERS.includes(from) ? undefined : 'native/ is imported only by main/devices/ and main/app/';
  }

  const a = rowOf(from);
  const b = rowOf(to);
  if (!a) return `${from} is not in the layering rank table (tools/eslint/layering.js)`;
  if (!b) return `${to} is not in the layering rank table (tools/eslint/layering.js)`;
  if (b.rank < a.rank) return undefined;
  if (b.rank === a.rank && a.row.peers) return undefined;
  if (b.rank === a.rank) return `${from} and ${to} are layers of the same rank and may not import each other`;
  return `upward import: ${from} (rank ${a.rank}) may not import from ${to} (rank ${b.rank})`;
}

function check(context, node, source, typeOnly) {
  const abs = context.filename;
  const file = rel(abs);
  if (file.startsWith('..')) return;
  const target = source.startsWith('.') ? rel(path.resolve(path.dirname(abs), source)) : null;
  const message = violation(file, source, target, typeOnly);
  if (message) context.report({ node, message: `${message} (import '${source}' in ${file})` });
}

/** The literal text of an import() argument, when it has one. */
function literal(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return undefined;
}

export default {
  rules: {
    layering: {
      meta: {
        type: 'problem',
        schema: [],
        docs: { description: 'imports run one way: down the rank table of layers in tools/eslint/layering.js' },
      },
      create(context) {
        return {
          ImportDeclaration(node) {
            check(context, node, node.source.value, node.importKind === 'type');
          },
          ExportNamedDeclaration(node) {
            if (node.source) check(context, node, node.source.value, node.exportKind === 'type');
          },
          ExportAllDeclaration(node) {
            check(context, node, node.source.value, node.exportKind === 'type');
          },
          ImportExpression(node) {
            const source = literal(node.source);
            if (source !== undefined) check(context, node, source, false);
          },
          TSImportEqualsDeclaration(node) {
            const ref = node.moduleReference;
            if (ref.type === 'TSExternalModuleReference' && ref.expression.type === 'Literal') {
              check(context, node, String(ref.expression.value), node.importKind === 'type');
            }
          },
        };
      },
    },
  },
};
