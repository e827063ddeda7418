import type { PluginRegistry } from '../../runtime/worker/plugin-registry.js';
import { DEMO_USAGE, parseDemoArgs, UsageError, type DemoOptions } from './options.js';
import { PlainView, TtyView } from './render.js';
import { runDemo } from './run.js';

export { DEMO_USAGE };

/**
 * The CLI entry of `conflux demo`: the view fits the output (redrawn in place on a terminal, a
 * line every few seconds otherwise); the first SIGINT/SIGTERM stops the writes and lets the
 * warehouse catch up, the second stops waiting.
 */
export async function demoCommand(argv: string[], plugins: PluginRegistry, version: string, err: (line: string) => void): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e;
    err(`error: ${(e as Error).message}\n\nUsage:\n${DEMO_USAGE}`);
    return 2;
  }
  const out = process.stdout;
  const tty = out.isTTY === true;
  const view = tty ? new TtyView(out) : new PlainView(out, 5_000);
  const stop = new AbortController();
  const hurry = new AbortController();
  const onSignal = (signal: string) => {
    if (!stop.signal.aborted) {
      view.print(`${signal}: stopping the writes; waiting for the warehouse to catch up (${signal} again to stop waiting)`);
      stop.abort();
    } else {
      view.print(`${signal}: not waiting any longer`);
      hurry.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runDemo(options, {
      view,
      say: (text) => view.print(text),
      tickMs: 1_000,
      plugins,
      version,
      stop: stop.signal,
      hurry: hurry.signal,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    err(`error: ${(e as Error).message}: another process serves that port; give the demo another one with --port (0 picks a free one)`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
