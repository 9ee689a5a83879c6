// ESLint rule that enforces the layering of shared/design/style.md:
//   main/core/  imports nothing outside itself (no Node built-ins; packages only from a short
//               list of pure libraries);
//   native modules (better-sqlite3, serialport, usb) only in native/ and main/dss/;
//   electron only in main/app/;
//   renderer/   imports from main/ only `import type` from main/api/, and no Node built-ins.
import path from 'node:path';

// Pure, I/O-free libraries the method itself needs (issue 2: E.164 with libphonenumber-js).
const CORE_PACKAGES = ['libphonenumber-js', 'libphonenumber-js/max', 'libphonenumber-js/min'];
const NATIVE = [/^better-sqlite3$/, /^serialport$/, /^@serialport\//, /^usb$/];
const root = process.cwd();

function rel(p) {
  return path.relative(root, p).split(path.sep).join('/');
}

function check(context, node, source, typeOnly) {
  const file = rel(context.filename ?? context.getFilename());
  const isRelative = source.startsWith('.');
  const target = isRelative ? rel(path.resolve(path.dirname(path.resolve(root, file)), source)) : null;
  const report = (message) => context.report({ node, message: `${message} (import '${source}' in ${file})` });

  if (file.startsWith('main/core/')) {
    if (!isRelative && !CORE_PACKAGES.includes(source)) {
      return report('main/core is pure: it may not import packages or Node built-ins');
    }
    if (!isRelative) return undefined;
    if (!target.startsWith('main/core/')) return report('main/core may import only from main/core');
  }
  if (!isRelative && NATIVE.some((re) => re.test(source))) {
    if (!(file.startsWith('native/') || file.startsWith('main/dss/'))) {
      return report('native modules are imported only in native/ and main/dss/');
    }
  }
  if (!isRelative && (source === 'electron' || source.startsWith('electron/'))) {
    if (!file.startsWith('main/app/')) return report('electron is imported only in main/app/');
  }
  if (file.startsWith('renderer/')) {
    if (!isRelative && (source.startsWith('node:') || ['fs', 'path', 'child_process', 'os'].includes(source))) {
      return report('the renderer may not use Node built-ins');
    }
    if (isRelative && target.startsWith('main/')) {
      if (!target.startsWith('main/api/') || !typeOnly) {
        return report('the renderer may import from main/ only `import type` from main/api/');
      }
    }
  }
  return undefined;
}

export default {
  rules: {
    layering: {
      meta: { type: 'problem', schema: [] },
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
            if (node.source.type === 'Literal') check(context, node, String(node.source.value), false);
          },
        };
      },
    },
  },
};
