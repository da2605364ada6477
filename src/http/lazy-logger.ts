import type { FastifyBaseLogger } from "fastify";
import type { Bindings, ChildLoggerOptions } from "pino";

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
type LogArgs = [obj: unknown, msg?: string, ...args: unknown[]];

/**
 * A request's logger that becomes a real pino child (with the request id) only when a line is written at an
 * enabled level. Fastify makes a child per request, and most boot requests log nothing: building it was a
 * third of a fall-through request's time (docs/performance.md).
 */
class LazyChild implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.it().level = level;
  }

  // Methods on the prototype, not closures per request: the object is made for every request.
  fatal(...args: LogArgs): void {
    this.write("fatal", args);
  }
  error(...args: LogArgs): void {
    this.write("error", args);
  }
  warn(...args: LogArgs): void {
    this.write("warn", args);
  }
  info(...args: LogArgs): void {
    this.write("info", args);
  }
  debug(...args: LogArgs): void {
    this.write("debug", args);
  }
  trace(...args: LogArgs): void {
    this.write("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.it().child(bindings, options);
  }

  private it(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings));
  }

  private write(level: Level, args: LogArgs): void {
    if (!enabled(this.real ?? this.parent, level)) return;
    (this.it()[level] as (...a: LogArgs) => void)(...args);
  }
}

/** Whether a line at this level is written: pino's own check, else yes. */
function enabled(log: FastifyBaseLogger, level: Level): boolean {
  const check = (log as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled;
  return check ? check.call(log, level) : true;
}

/** Fastify's child logger factory, lazily: a per-route level or serializers get a real child at once. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  if (opts.level || opts.serializers) return logger.child(bindings, opts);
  return new LazyChild(logger, bindings);
}
