import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import type { Logger } from '../api/index.js';
import { SecretScrubber } from './secret-scrubber.js';

export type LogLevel = Exclude<LevelWithSilent, 'silent'> | 'silent';

/** What a log line or a response says instead of what could not be scrubbed. */
export const SCRUB_FAILED = '[scrub failed]';

/** Upper bound of named loggers, so that level changes for made-up names cannot grow memory. */
export const MAX_LOGGERS = 10_000;

/**
 * The worker's root logger (pino, JSON lines on stderr). Named child loggers can have their own
 * level, changed at run time through `/admin/loggers`.
 */
export class LogManager {
  readonly root: PinoLogger;
  private readonly children = new Map<string, PinoLogger>();
  private readonly secrets = new SecretScrubber();

  private readonly maxLoggers: number;

  constructor(options: { level?: LogLevel; destination?: NodeJS.WritableStream; maxLoggers?: number } = {}) {
    this.maxLoggers = options.maxLoggers ?? MAX_LOGGERS;
    // The message and the whole object of a log line are scrubbed, nested arrays, objects and
    // Errors (message and stack) included.
    const scrubArg = (arg: unknown): unknown => this.secrets.scrubDeep(arg);
    // Fails closed: a line that cannot be scrubbed is written as a marker, never as it was, and
    // the failure (whose text might quote what it was scrubbing) goes nowhere.
    const scrubArgs = (args: unknown[]): unknown[] => {
      try {
        return args.map(scrubArg);
      } catch {
        return [SCRUB_FAILED];
      }
    };
    const level = options.level ?? (process.env.CONFLUX_LOG_LEVEL as LogLevel | undefined) ?? 'info';
    this.root = pino(
      {
        level,
        base: undefined,
        // Resolved secret values must never reach a log line, whatever the message says.
        hooks: {
          // `this` is the logger being called (a child keeps its bindings), so no arrow function.
          logMethod(args, method) {
            method.apply(this, scrubArgs(args) as Parameters<typeof method>);
          },
        },
      },
      (options.destination ?? process.stderr) as pino.DestinationStream,
    );
  }

  /** Registers secret values of the worker itself (its own config) to strip from every message. */
  addSecrets(values: Iterable<string>): void {
    this.secrets.add('', values);
  }

  /**
   * Sets the secret values of one owner (a connector): they replace that owner's earlier values
   * (or join them with `keepPrevious`); an empty list forgets them.
   */
  setSecrets(owner: string, values: Iterable<string>, options: { keepPrevious?: boolean } = {}): void {
    if (options.keepPrevious) this.secrets.add(`connector:${owner}`, values);
    else this.secrets.set(`connector:${owner}`, values);
  }

  /** The number of distinct secret values being scrubbed. */
  get secretCount(): number {
    return this.secrets.size;
  }

  /** Removes every registered secret from `text`; {@link SCRUB_FAILED} instead when that fails. */
  scrub(text: string): string {
    try {
      return this.secrets.scrub(text);
    } catch {
      return SCRUB_FAILED;
    }
  }

  /** {@link scrub} applied to every string inside a value (see SecretScrubber.scrubDeep). */
  scrubDeep(value: unknown, maxDepth?: number): unknown {
    try {
      return this.secrets.scrubDeep(value, 0, maxDepth);
    } catch {
      return SCRUB_FAILED;
    }
  }

  /** A logger for one component (`worker`, `connector.<name>`, `task.<name>-<id>`). */
  get(name: string): Logger & { child: PinoLogger } {
    let child = this.children.get(name);
    if (!child) {
      // A logger created after a level was set on its parent (`task` for `task.orders-0`) starts at
      // that level, as if it had existed when the level was set.
      child = this.root.child({ logger: name }, { level: this.inheritedLevel(name) });
      this.children.set(name, child);
    }
    return adapt(child);
  }

  /** The level of the nearest existing ancestor of a dotted name, else the root's. */
  private inheritedLevel(name: string): string {
    for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
      const parent = this.children.get(name.slice(0, dot));
      if (parent) return parent.level;
    }
    return this.root.level;
  }

  levels(): Map<string, { level: string }> {
    const out = new Map<string, { level: string }>([['root', { level: this.root.level }]]);
    for (const [name, child] of this.children) out.set(name, { level: child.level });
    return out;
  }

  /** True when a logger of that name exists (`root` always does). */
  has(name: string): boolean {
    return name === 'root' || this.children.has(name);
  }

  /**
   * Sets the level of `name` and of every logger below it (`connector` covers `connector.orders`).
   * A name no logger has yet creates one, so that a level can be set before the component starts;
   * at most `maxLoggers` ({@link MAX_LOGGERS} by default) exist.
   */
  setLevel(name: string, level: LogLevel): string[] {
    if (!this.has(name) && this.children.size >= this.maxLoggers) {
      throw new RangeError(`too many loggers (${this.maxLoggers}); set the level of an existing logger or of a parent such as "task"`);
    }
    const changed: string[] = [];
    if (name === 'root') {
      this.root.level = level;
      changed.push('root');
    }
    for (const [childName, child] of this.children) {
      if (name === 'root' || childName === name || childName.startsWith(`${name}.`)) {
        child.level = level;
        changed.push(childName);
      }
    }
    if (!this.children.has(name) && name !== 'root') {
      this.children.set(name, this.root.child({ logger: name }, { level }));
      changed.push(name);
    }
    return changed;
  }
}

function adapt(child: PinoLogger): Logger & { child: PinoLogger } {
  return {
    child,
    debug: (msg, fields) => child.debug(fields ?? {}, msg),
    info: (msg, fields) => child.info(fields ?? {}, msg),
    warn: (msg, fields) => child.warn(fields ?? {}, msg),
    error: (msg, fields) => child.error(fields ?? {}, msg),
  };
}
