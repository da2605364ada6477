import type { Server, Socket } from "node:net";
import { addressKey } from "./address-limiter.js";

/** How many HTTP connections may be open at once: in all, and from one address (0: no cap). */
export interface ConnectionLimits {
  total: number;
  perAddress: number;
}

/** Defaults: far above what a rack needs, far below the file descriptors the process has. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { total: 4096, perAddress: 256 };

/**
 * Caps open connections. Every idle connection holds a file descriptor until a timeout ends it, so without
 * a cap one client opening tens of thousands of them uses up the process's descriptors: HTTP stops
 * answering, TFTP cannot open a transfer socket, the store cannot open a file. Past the per-address cap
 * (an IPv6 address counts per /64) a new connection is closed at once, so one client cannot take the
 * total from everyone else; the total keeps descriptors free for TFTP and the store whatever many
 * addresses do. Answers the number of addresses currently tracked, for tests.
 */
export function guardConnections(server: Server, limits: ConnectionLimits): () => number {
  if (limits.total > 0) server.maxConnections = limits.total;
  const open = new Map<string, number>();
  // First in line, so a refused connection is closed before the HTTP parser is set up for it.
  server.prependListener("connection", (socket: Socket) => {
    if (limits.perAddress <= 0) return;
    const key = addressKey(socket.remoteAddress ?? "");
    const n = open.get(key) ?? 0;
    if (n >= limits.perAddress) {
      socket.destroy();
      return;
    }
    open.set(key, n + 1);
    socket.once("close", () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
  return () => open.size;
}
