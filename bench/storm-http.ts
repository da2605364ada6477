// The storm's HTTP client: one keep-alive connection per machine (iPXE reuses its connection), from the
// machine's own address. Scripts are read as text; kernels and initrds are counted, never kept.
import { Agent, request } from "node:http";

/** An answer: its status, and the text (scripts) or the byte count (everything else). */
export interface HttpAnswer {
  status: number;
  text: string;
  bytes: number;
}

/** One machine's HTTP client. */
export class MachineHttp {
  private readonly agent: Agent;

  constructor(private readonly localAddress: string) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** GET `url`; `asText` keeps the body (at most 64 KiB), else it is counted and checked against Content-Length. */
  get(url: string, asText: boolean): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: this.agent, localAddress: this.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          if (asText && bytes <= 65_536) chunks.push(c);
        });
        res.on("error", reject);
        res.on("end", () => {
          const want = Number(res.headers["content-length"] ?? bytes);
          if (!res.complete || want !== bytes)
            return reject(new Error(`${url}: ${bytes} of ${want} bytes, then the connection ended`));
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), bytes });
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${url}: no progress for 60 s`)));
      req.on("error", reject);
      req.end();
    });
  }

  /** Closes the kept connection. */
  close(): void {
    this.agent.destroy();
  }
}
