// `concord serve`: the headless hub (main/app/serve.ts runs it).
import type { Command } from './command';

export const SERVE_ARGS =
  '[--data DIR] [--port N] [--host 127.0.0.1] [--demo [--demo-phone]] [--lan-port N [--lan-host ADDR] [--lan-timeout SECONDS] [--lan-public-url URL]] [--no-phones] [--new-token] [--in-process]';

export const serveCommand: Command = {
  words: ['serve'],
  args: SERVE_ARGS,
  summary: 'run the hub headless, its UI in a browser',
  run: async (argv) => {
    const { runServe } = await import('../app/serve');
    return runServe([...argv]);
  },
};
