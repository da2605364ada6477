import { createParser } from "eventsource-parser";
import type { PowerAction, PowerInput, PowerOutcome, PowerView } from "./power-types.js";

export type {
  PowerAction,
  PowerDriverName,
  PowerInput,
  PowerOutcome,
  PowerState,
  PowerStateView,
  PowerView,
} from "./power-types.js";
export { POWER_ACTIONS } from "./power-types.js";

/** An error answer from the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** One event from the live stream. */
export interface StreamEvent {
  seq: number;
  at: string;
  machine: string;
  kind: string;
  config?: string;
  detail?: Record<string, unknown>;
}

/** One boot attempt of a machine's timeline (`GET /machines/:id/timeline`, docs/timeline.md). */
export interface TimelineAttempt {
  mac: string;
  n: number;
  startedAt: string;
  lastAt: string;
  outcome: string;
  stopIndex?: number;
  stop?: string;
  hint?: { code: string; text: string };
  droppedSteps: number;
  steps: ({ kind: string; at: string; lastAt?: string; count: number; label: string } & Record<
    string,
    unknown
  >)[];
}

/** A machine's boot timeline: live attempts and the recorded summaries. */
export interface BootTimeline {
  mac: string;
  machine: string | null;
  attempts: TimelineAttempt[];
  recorded: { seq: number; at: string; detail: Record<string, string | number | boolean> }[];
}

/** An identity conflict as the API answers it (docs/api.md). */
export interface Conflict {
  id: string;
  machine: string;
  other: string;
  identities: { kind: "mac" | "uuid" | "serial"; value: string }[];
  reported: { macs: string[]; uuid?: string; serial?: string };
  agent: string;
  credential: string;
  state: "open" | "merged" | "dismissed";
  createdAt: string;
  updatedAt: string;
  resolvedBy?: string;
}

/** One cached boot file as the API lists it (docs/assets.md). */
export interface AssetView {
  id: string;
  name: string;
  source: string;
  size: number;
  sha256: string;
  verified?: string;
  fetchedAt: string;
  lastUsedAt: string;
  url: string;
  usedBy: string[];
}

/** The store as `GET /status` answers it (docs/store.md "High availability"). */
export interface StoreStatus {
  kind: "file" | "etcd";
  shared: boolean;
  state: "ok" | "degraded" | "unavailable";
  since: string;
  detail?: string;
}

/** The asset cache: its files, and the bytes they take against the cap. */
export interface AssetList {
  items: AssetView[];
  usage: { bytes: number; maxBytes: number; count: number };
}

type Json = Record<string, unknown>;

/** Filters for the machine list: `label` is one `key=value`; `labels` may hold several, all must match. */
export interface MachineQuery {
  search?: string;
  label?: string;
  labels?: Record<string, string>;
  state?: string;
  limit?: number;
  offset?: number;
}
type Query = Record<string, string | number | undefined>;

/**
 * The typed client for Enforcer's REST API, shared by the CLI and the web UI. It only speaks HTTP: every
 * failure arrives as an ApiError carrying the server's `ENF_ERR_*` code.
 */
export class EnforcerClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    // Called through a wrapper: browsers refuse fetch() invoked as a method of another object.
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  /** One request; JSON in, JSON out. */
  async request<T = Json>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return this.send<T>(method, path, query, {
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** One request with a raw body (a file, streamed); JSON out. */
  private async send<T>(
    method: string,
    path: string,
    query: Query | undefined,
    init: { headers: Record<string, string>; body?: BodyInit },
  ): Promise<T> {
    const url = new URL(`/api/v1${path}`, this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...init.headers },
        body: init.body,
        // A stream body is sent as it is read (Node's fetch wants this said; browsers ignore it).
        ...(isStream(init.body) ? { duplex: "half" } : {}),
      } as RequestInit);
    } catch (err) {
      throw new ApiError(
        0,
        "ENF_ERR_CLIENT_UNREACHABLE",
        `cannot reach ${this.baseUrl}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    let data: Json = {};
    try {
      data = text ? (JSON.parse(text) as Json) : {};
    } catch {
      throw new ApiError(
        res.status,
        "ENF_ERR_CLIENT_BAD_ANSWER",
        `${this.baseUrl} answered ${res.status} with something that is not JSON`,
      );
    }
    if (!res.ok) {
      throw new ApiError(
        res.status,
        String(data.code ?? "ENF_ERR_CLIENT_BAD_ANSWER"),
        String(data.message ?? res.statusText),
        (data.details as Json) ?? {},
      );
    }
    return data as T;
  }

  /** Machines. */
  readonly machines = {
    list: (q: MachineQuery = {}) => this.listMachines(q),
    get: (id: string) => this.request("GET", `/machines/${encodeURIComponent(id)}`),
    register: (body: { mac: string; hostname?: string; labels?: Record<string, string> }) =>
      this.request("POST", "/machines", body),
    update: (id: string, body: { hostname?: string | null; labels?: Record<string, string> }) =>
      this.request("PATCH", `/machines/${encodeURIComponent(id)}`, body),
    forget: (id: string) => this.request("DELETE", `/machines/${encodeURIComponent(id)}`),
    events: (id: string) =>
      this.request<{ items: StreamEvent[] }>("GET", `/machines/${encodeURIComponent(id)}/events`),
    timeline: (id: string, limit?: number) =>
      this.request<BootTimeline>("GET", `/machines/${encodeURIComponent(id)}/timeline`, undefined, {
        limit,
      }),
  };

  /** Identity conflicts: a credential claimed another machine's MAC, UUID or serial. */
  readonly conflicts = {
    list: (q: { state?: "open" | "merged" | "dismissed" | "all"; machine?: string } = {}) =>
      this.request<{ items: Conflict[] }>("GET", "/conflicts", undefined, q),
    get: (id: string) => this.request<Conflict>("GET", `/conflicts/${encodeURIComponent(id)}`),
    resolve: (id: string, action: "merge" | "dismiss") =>
      this.request<Conflict>("POST", `/conflicts/${encodeURIComponent(id)}/resolve`, { action }),
  };

  /** OS profiles. */
  readonly profiles = {
    list: () => this.request<{ items: Json[] }>("GET", "/profiles"),
    get: (name: string) => this.request("GET", `/profiles/${encodeURIComponent(name)}`),
    create: (p: Json) => this.request("POST", "/profiles", p),
    replace: (name: string, p: Json) => this.request("PUT", `/profiles/${encodeURIComponent(name)}`, p),
    remove: (name: string) => this.request("DELETE", `/profiles/${encodeURIComponent(name)}`),
    preview: (name: string, machine: string, variables?: Record<string, string>) =>
      this.request("POST", `/profiles/${encodeURIComponent(name)}/preview`, {
        machine,
        ...(variables ? { variables } : {}),
      }),
  };

  /** Boot configs. */
  readonly configs = {
    list: (q: { machine?: string; state?: string } = {}) =>
      this.request<{ items: Json[] }>("GET", "/configs", undefined, q),
    get: (id: string) => this.request("GET", `/configs/${encodeURIComponent(id)}`),
    create: (body: { machine: string; profile: string; variables?: Record<string, string> }) =>
      this.request("POST", "/configs", body),
    arm: (id: string) => this.request("POST", `/configs/${encodeURIComponent(id)}/arm`),
    cancel: (id: string) => this.request("POST", `/configs/${encodeURIComponent(id)}/cancel`),
  };

  /** Commands to machines. */
  readonly commands = {
    reboot: (machine: string) => this.request("POST", "/commands", { machine, type: "reboot" }),
    list: (q: { machine?: string; state?: string } = {}) =>
      this.request<{ items: Json[] }>("GET", "/commands", undefined, q),
    get: (id: string) => this.request("GET", `/commands/${encodeURIComponent(id)}`),
  };

  /** A machine's power control (docs/api.md "Power"): settings (admin), state (viewer), actions (operator). */
  readonly power = {
    get: (mac: string) => this.request<PowerView>("GET", `/machines/${encodeURIComponent(mac)}/power`),
    set: (mac: string, input: PowerInput) =>
      this.request<PowerView>("PUT", `/machines/${encodeURIComponent(mac)}/power`, input),
    remove: async (mac: string): Promise<void> => {
      await this.request("DELETE", `/machines/${encodeURIComponent(mac)}/power`);
    },
    act: (mac: string, action: PowerAction) =>
      this.request<PowerOutcome>(
        "POST",
        `/machines/${encodeURIComponent(mac)}/power/${encodeURIComponent(action)}`,
      ),
  };

  /** The store's kind and health: the UI's banner and status area read it. */
  status(): Promise<{ store: StoreStatus }> {
    return this.request("GET", "/status");
  }

  /** Discovery and remote instances. */
  readonly settings = {
    discovery: () => this.request<{ enabled: boolean; url: string | null }>("GET", "/discovery"),
    setDiscovery: (enabled: boolean, url?: string) =>
      this.request("PUT", "/discovery", { enabled, ...(url ? { url } : {}) }),
    remotes: () => this.request<{ remotes: string[] }>("GET", "/remotes"),
    setRemotes: (remotes: string[]) => this.request<{ remotes: string[] }>("PUT", "/remotes", { remotes }),
    agents: () => this.request<{ items: { id: string; machines: number }[] }>("GET", "/agents"),
  };

  /** API tokens (admin), and who the calling token is. */
  readonly tokens = {
    whoami: () => this.request<{ id: string; name: string; role: string }>("GET", "/whoami"),
    list: () => this.request<{ items: Json[] }>("GET", "/tokens"),
    create: (name: string, role: string, machine?: string) =>
      this.request<Json & { token: string }>("POST", "/tokens", {
        name,
        role,
        ...(machine ? { machine } : {}),
      }),
    revoke: (id: string) => this.request("DELETE", `/tokens/${encodeURIComponent(id)}`),
  };

  /** The boot asset cache: list, fetch from a URL, upload a file, remove (docs/assets.md). */
  readonly assets = {
    list: () => this.request<AssetList>("GET", "/assets"),
    add: (url: string, sha256?: string) =>
      this.request<AssetView>("POST", "/assets", { url, ...(sha256 ? { sha256 } : {}) }),
    upload: (name: string, body: BodyInit, sha256?: string) =>
      this.send<AssetView>("PUT", `/assets/${encodeURIComponent(name)}`, sha256 ? { sha256 } : undefined, {
        headers: { "content-type": "application/octet-stream" },
        body,
      }),
    remove: (id: string) => this.request("DELETE", `/assets/${encodeURIComponent(id)}`),
  };

  /** DHCP (`--dhcp server`): the stored leases. */
  readonly dhcp = {
    leases: () => this.request<{ items: Json[] }>("GET", "/dhcp/leases"),
  };

  /**
   * Machines matching every label in `labels` (and the other filters). The API filters on one label, so
   * with several the client asks for the first and keeps, over all its pages, the machines that have the
   * others too; `limit` and `offset` then page that result, and `total` counts it.
   */
  private async listMachines(q: MachineQuery): Promise<{ items: Json[]; total: number }> {
    const { labels, limit, offset, ...filters } = q;
    const [first, ...more] = Object.entries(labels ?? {}).map(([k, v]) => ({ k, v }));
    const label = first ? `${first.k}=${first.v}` : filters.label;
    type Page = { items: Json[]; total: number };
    if (more.length === 0)
      return this.request<Page>("GET", "/machines", undefined, { ...filters, label, limit, offset });
    const all: Json[] = [];
    const PAGE = 1000; // the API's largest page
    for (let at = 0; ; at += PAGE) {
      const page = await this.request<Page>("GET", "/machines", undefined, {
        ...filters,
        label,
        limit: PAGE,
        offset: at,
      });
      const has = (m: Json) => more.every(({ k, v }) => (m.labels as Record<string, string>)?.[k] === v);
      all.push(...page.items.filter(has));
      if (page.items.length < PAGE || at + PAGE >= page.total) break;
    }
    const from = offset ?? 0;
    return { items: all.slice(from, from + (limit ?? 100)), total: all.length };
  }

  /** Follows the event stream until `signal` aborts; resumes after `after` when given; `onOpen` once it is up. */
  async events(
    onEvent: (e: StreamEvent) => void,
    opts: { machine?: string; after?: number; signal?: AbortSignal; onOpen?: () => void } = {},
  ): Promise<void> {
    const url = new URL("/api/v1/events", this.baseUrl);
    if (opts.machine) url.searchParams.set("machine", opts.machine);
    const res = await this.fetchImpl(url, {
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(opts.after !== undefined ? { "last-event-id": String(opts.after) } : {}),
      },
      signal: opts.signal,
    });
    if (!res.ok || !res.body) {
      const data = (await res.json().catch(() => ({}))) as Json;
      throw new ApiError(
        res.status,
        String(data.code ?? "ENF_ERR_CLIENT_BAD_ANSWER"),
        String(data.message ?? res.statusText),
      );
    }
    opts.onOpen?.();
    // eventsource-parser reads the stream as the spec says: multi-line `data:`, events split across chunks,
    // comments (the server's heartbeats), CRLF. Every event the server sends is one JSON object.
    const parser = createParser({
      onEvent: (m) => {
        if (m.data !== "") onEvent(JSON.parse(m.data) as StreamEvent);
      },
    });
    const decoder = new TextDecoder();
    // A reader, not `for await`: async iteration of response bodies is newer than the browsers we support.
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (err) {
      if ((err as Error).name !== "AbortError") throw err;
    }
  }
}

function isStream(body: unknown): boolean {
  return typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
}
