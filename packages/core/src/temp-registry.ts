/**
 * Node-only: the temporary files and directories that are alive right now (written but not yet
 * renamed into place), so that Ctrl-C or a SIGTERM never leaves them behind. While any is alive,
 * SIGINT and SIGTERM handlers remove them all; when the process has no other listener for that
 * signal, the handler then exits with 128 + the signal number, as the shell does for a default kill.
 * A SIGKILL cannot be caught: the writers clean what it leaves on their next run (atomic-write.ts).
 */
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const live = new Set<string>();
const HANDLED = ['SIGINT', 'SIGTERM'] as const;
type HandledSignal = (typeof HANDLED)[number];

let installed = false;
let uninstallTimer: NodeJS.Timeout | null = null;

function removeAll(): void {
  for (const p of live) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // Best effort: the process is going down; the next writer cleans what is left.
    }
  }
  live.clear();
}

function onSignal(signal: HandledSignal): void {
  removeAll();
  // The host application has its own handler: it decides whether and how to exit.
  if (process.listenerCount(signal) > 1) return;
  process.exit(128 + constants.signals[signal]);
}

const listeners: Record<HandledSignal, () => void> = {
  SIGINT: () => onSignal('SIGINT'),
  SIGTERM: () => onSignal('SIGTERM'),
};

function install(): void {
  if (uninstallTimer) {
    clearTimeout(uninstallTimer);
    uninstallTimer = null;
  }
  if (installed) return;
  for (const s of HANDLED) process.on(s, listeners[s]);
  installed = true;
}

function uninstall(): void {
  uninstallTimer = null;
  if (!installed || live.size > 0) return;
  for (const s of HANDLED) process.off(s, listeners[s]);
  installed = false;
}

/**
 * Register a temporary path (file or directory) that must be removed if the process is stopped by
 * SIGINT or SIGTERM before {@link untrackTemp} is called for it. Installs the signal handlers
 * while any path is registered.
 * @param path - the temporary file or directory.
 */
export function trackTemp(path: string): void {
  live.add(path);
  install();
}

/**
 * Forget a temporary path (it was renamed into place or removed). When none is left the signal
 * handlers are removed a moment later, not at once: a signal that arrived while a synchronous write
 * was running is only dispatched on the next event-loop turn, and would be lost if the handler were
 * already gone (the process would then ignore that Ctrl-C).
 * @param path - a path given to {@link trackTemp}; unknown paths are ignored.
 */
export function untrackTemp(path: string): void {
  live.delete(path);
  if (live.size === 0 && installed && !uninstallTimer) {
    uninstallTimer = setTimeout(uninstall, 100);
    uninstallTimer.unref();
  }
}

/**
 * The temporary paths alive right now (for tests and diagnostics).
 * @returns a copy, in registration order.
 */
export function liveTemps(): string[] {
  return [...live];
}
