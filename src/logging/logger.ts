import pino, { type Logger } from "pino";

/** JSON logs by default; pretty, human-readable ones when stdout is a terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss" } } });
  }
  return pino({ level });
}
