// How the ackbench command ends on SIGINT (Ctrl-C) and SIGTERM. Installed by the first module the CLI
// imports, so that a signal at any moment, even while the other modules load, ends with a line that
// says what happened, never silently:
// - while no work can be stopped cleanly (start-up, reading inputs, starting a private broker,
//   rendering a report): exit at once, naming the signal and the stage;
// - while a run goes (interruptible()): the first SIGINT aborts it, so that it winds down and keeps
//   every finished cell; a second signal exits at once. SIGTERM aborts too, and exits after
//   TERM_GRACE_MS at the latest, so a supervisor's stop always ends the process within seconds.
// Exit codes: 130 after SIGINT, 143 after SIGTERM (128 + the signal number, as a shell reports them).
// process.exit() runs the exit hooks: a private broker is killed and its files removed, and output
// directories this process created and left empty are removed (run/out-path.ts).

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;

/** How long a SIGTERM leaves a run to wind down before the process exits anyway. */
export const TERM_GRACE_MS = 3000;

interface Interruptible {
  controller: AbortController;
  note: (line: string) => void;
  what: string;
}

let stage = 'starting (nothing measured, nothing written)';
let active: Interruptible | null = null;
let first: HandledSignal | null = null;
let installed = false;

function say(line: string): void {
  process.stderr.write(`ackbench: ${line}\n`);
}

function onSignal(sig: HandledSignal): void {
  const code = SIGNAL_EXIT_CODES[sig];
  if (!active || first !== null) {
    if (!active) say(`${sig}: stopped while ${stage}`);
    process.exit(code);
  }
  first = sig;
  const { controller, note, what } = active;
  if (sig === 'SIGTERM') {
    note(`${sig}: ${what}; exiting within ${TERM_GRACE_MS / 1000} s`);
    setTimeout(() => process.exit(code), TERM_GRACE_MS).unref();
  } else {
    note(`${sig}: ${what} (again to exit at once)`);
  }
  controller.abort();
}

/** Installs the handlers once; until interruptible() is called, a signal exits at once. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/** What the process is doing, for the line a signal prints when nothing can be stopped cleanly. */
export function setStage(what: string): void {
  stage = what;
}

/**
 * From now until dispose(), the first signal aborts `controller` and prints `what` through `note`
 * instead of exiting.
 */
export function interruptible(note: (line: string) => void, what: string): { controller: AbortController; dispose: () => void } {
  installSignalHandlers();
  const entry: Interruptible = { controller: new AbortController(), note, what };
  active = entry;
  return {
    controller: entry.controller,
    dispose: () => {
      if (active === entry) active = null;
    },
  };
}

/** The first signal this process received, or null. */
export function interruptedBy(): HandledSignal | null {
  return first;
}

/** The exit code of a command ended by a signal: 130 (SIGINT) or 143 (SIGTERM). */
export function interruptedExitCode(): number {
  return SIGNAL_EXIT_CODES[first ?? 'SIGINT'];
}

installSignalHandlers();
