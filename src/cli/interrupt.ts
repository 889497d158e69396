// Ctrl-C for the long-running commands (run, similarity, super-resolution): the
// first aborts the work's signal, so it saves a checkpoint at its next step
// boundary and stops; a second exits at once with 130.

export interface CtrlC {
  signal: AbortSignal;
  /** Removes the handler: Ctrl-C kills the process again. */
  dispose(): void;
}

/** `first`: what the first Ctrl-C says is happening; `second`: what a second one leaves behind. */
export function onCtrlC(messages: { first: string; second: string }): CtrlC {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) {
      console.error(`\ndpl-torch: second Ctrl-C, exiting now (${messages.second})`);
      process.exit(130);
    } else {
      console.error(`\ndpl-torch: ${messages.first} (Ctrl-C again to quit at once)...`);
      controller.abort();
    }
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}

/** The command line that repeats this one, to resume it: `npx dpl-torch NAME ARGS`, quoted for a POSIX shell. */
export function sameCommand(name: string, args: string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  return ['npx', 'dpl-torch', name, ...args].map(quote).join(' ');
}
