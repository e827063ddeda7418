import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import type { Logger } from './api/index.js';

export type LogLevel = Exclude<LevelWithSilent, 'silent'> | 'silent';

/**
 * The worker's root logger (pino, JSON lines on stderr). Named child loggers can have their own
 * level, changed at run time through `/admin/loggers`.
 */
export class LogManager {
  readonly root: PinoLogger;
  private readonly children = new Map<string, PinoLogger>();
  private readonly secrets = new Set<string>();

  constructor(options: { level?: LogLevel; destination?: NodeJS.WritableStream } = {}) {
    const scrub = (text: string) => this.scrub(text);
    // Messages and the string fields of a log line's object are both scrubbed.
    const scrubArg = (arg: unknown): unknown => {
      if (typeof arg === 'string') return scrub(arg);
      if (arg && typeof arg === 'object' && !Array.isArray(arg) && !(arg instanceof Error)) {
        return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v]));
      }
      return arg;
    };
    const level = options.level ?? ((process.env.CONFLUX_LOG_LEVEL as LogLevel | undefined) ?? 'info');
    this.root = pino(
      {
        level,
        base: undefined,
        // Resolved secret values must never reach a log line, whatever the message says.
        hooks: {
          // `this` is the logger being called (a child keeps its bindings), so no arrow function.
          logMethod(args, method) {
            method.apply(this, args.map(scrubArg) as Parameters<typeof method>);
          },
        },
      },
      (options.destination ?? process.stderr) as pino.DestinationStream,
    );
  }

  /** Registers resolved secret values to strip from every message. */
  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v.length >= 3) this.secrets.add(v);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[hidden]');
    return out;
  }

  /** A logger for one component (`worker`, `connector.<name>`, `task.<name>-<id>`). */
  get(name: string): Logger & { child: PinoLogger } {
    let child = this.children.get(name);
    if (!child) {
      child = this.root.child({ logger: name });
      this.children.set(name, child);
    }
    return adapt(child);
  }

  levels(): Record<string, { level: string }> {
    const out: Record<string, { level: string }> = { root: { level: this.root.level } };
    for (const [name, child] of this.children) out[name] = { level: child.level };
    return out;
  }

  /** Sets the level of `name` and of every logger below it (`connector` covers `connector.orders`). */
  setLevel(name: string, level: LogLevel): string[] {
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
