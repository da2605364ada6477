import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCore } from "../core/create-core.js";
import { EnforcerError } from "../domain/errors.js";
import { loadSettings } from "../config/load.js";
import { byteSize } from "../config/byte-size.js";
import type { Settings } from "../config/settings.js";
import type { CoreSettings } from "../core/ports.js";
import { BootFiles } from "../files/boot-files.js";
import { Metrics } from "../http/metrics.js";
import { timedStore } from "../store/timed-store.js";
import { buildHttpServer } from "../http/server.js";
import { DEFAULT_UI_DIR, uiBuilt } from "../http/ui-routes.js";
import { TftpCounters } from "../protocols/tftp/counters.js";
import { tightenedNotice, tightenModes } from "../store/file-modes.js";
import { createLogger } from "../logging/logger.js";
import { detectPublicUrl } from "./public-url.js";
import { startAgents } from "./agents.js";
import { startPeriodicJobs } from "./periodic-jobs.js";
import { loadSessionSecret } from "./session-secret.js";
import { foreignSealsNotice, loadPowerKey } from "./power-key.js";
import { powerDrivers } from "./power-drivers.js";
import type { RebootOrder } from "../core/power-executor.js";
import { openStore } from "./open-store.js";
import { generatedFiles, startTftp } from "./tftp.js";
import { withAssets } from "./asset-files.js";
import { DhcpTotals } from "./dhcp-totals.js";
import { tftpToTimeline } from "./timeline-feed.js";
import { neighbourMacs } from "./neighbours.js";
import { openPiFirmware, piFiles } from "./pi-tftp.js";
import { noLoadersNotice } from "./loader-notice.js";

/**
 * `enforcer serve`: loads and freezes the settings, opens the store, starts HTTP, prints where everything
 * is, and on SIGINT/SIGTERM stops taking requests, lets in-flight commits finish and closes the store.
 */
export async function serve(argv: string[]): Promise<void> {
  const settings = loadSettings(argv, process.env);
  const log = createLogger(settings.logLevel);
  const started = performance.now();
  const dataDir = resolve(settings.data);
  // admin.token, session.secret and the store live here: owner only, also for an older directory.
  const tightened = tightenedNotice(tightenModes(dataDir));
  if (tightened) log.warn(tightened);
  const sessionSecret = loadSessionSecret(dataDir);
  const powerKey = loadPowerKey(dataDir);
  const { store, election } = await openStore(settings, dataDir, sessionSecret, (m) => log.warn(m), powerKey);
  const publicUrl = (settings.publicUrl ?? detectPublicUrl(settings.listen, settings.httpPort)).replace(
    /\/+$/,
    "",
  );
  const tftpCounters = new TftpCounters();
  // The gauges read the core at scrape time; the core below needs the metrics first (its store is timed).
  const dhcpTotals = new DhcpTotals();
  const metrics = new Metrics(
    {
      counts: () => core.stats.counts(),
      agents: () => core.agents.list(),
      timelines: () => core.timeline.stats(),
      store: () => core.storeStatus.view(),
      power: () => core.power.metrics(),
    },
    tftpCounters,
    dhcpMetrics(dhcpTotals, () => core.dhcpLeases.counts()),
  );
  const core = createCore(
    timedStore(store, (s) => metrics.storeWrites.observe(s)),
    coreSettings(settings, publicUrl),
    undefined,
    { sessionSecret, powerKey },
    { dir: join(dataDir, "assets"), maxBytes: byteSize(settings.assetCacheSize), log },
    {
      drivers: powerDrivers(),
      timeoutMs: settings.powerTimeout * 1000,
      rebootOrder: settings.rebootOrder as RebootOrder,
    },
  );
  await core.events.ready(); // a shared store: the first block of event seqs is claimed (docs/store.md)
  const sealed = foreignSealsNotice(store, powerKey, dataDir);
  if (sealed) log.warn(sealed);
  // Retention and the agent systems run on one instance (periodic-jobs.ts); with the file store, this one.
  const leader = election.campaign("jobs");
  const adminToken = await core.tokens.ensureInitialAdmin();
  if (adminToken) writeFileSync(join(dataDir, "admin.token"), `${adminToken}\n`, { mode: 0o600 });
  const loaders = new Map([
    ...BootFiles.debianLoaders(settings.ipxeDir),
    ...discoveryFiles(settings.discoveryImage),
  ]);
  if (presentLoaders(loaders, settings.tftpRoot).size === 0) log.warn(noLoadersNotice(settings));
  const files = new BootFiles({
    generated: generatedFiles(() => core.boot.generalInputs()),
    root: settings.tftpRoot,
    loaders,
  });
  const ui = uiBuilt(DEFAULT_UI_DIR);
  const app = buildHttpServer(core, {
    logger: log,
    files,
    metrics,
    bootRateLimit: settings.bootRateLimit,
    connections: {
      total: Math.min(settings.httpMaxConnections, quarterOfFileLimit()),
      perAddress: settings.httpMaxConnectionsPerAddress,
    },
    uiDir: ui ? DEFAULT_UI_DIR : undefined,
  });
  await app.listen({ port: settings.httpPort, host: settings.listen });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : settings.httpPort;
  // With --http-port 0 the real port is known only now.
  const bootUrl = settings.publicUrl ? publicUrl : detectPublicUrl(settings.listen, port);
  core.settings.listening({
    publicUrl: bootUrl,
    ...(settings.discoveryImage
      ? {
          discoveryKernel: `${bootUrl}/tftp/discovery/vmlinuz`,
          discoveryInitrd: `${bootUrl}/tftp/discovery/initrd.gz`,
        }
      : {}),
  });
  const pi = piFiles({
    piBoot: core.piBoot,
    firmware: openPiFirmware(settings.piFirmware, log, settings.dhcp !== "off"),
    // A Pi config's kernel from a URL is a cached asset: its TFTP name is assets/<id>/<name>.
    files: withAssets(files, core.assets),
    neighbour: neighbourMacs(),
    seen: (ip, mac) => core.timeline.neighbour(ip, mac),
    log,
  });
  const tftp = await startTftp(
    settings,
    withAssets(files, core.assets),
    log,
    tftpCounters,
    tftpToTimeline(core.timeline),
    pi,
  );
  // The DHCP code (~90 KB of modules) loads only when DHCP is on: most networks have a DHCP server already.
  const dhcp =
    settings.dhcp === "off"
      ? undefined
      : await import("./dhcp.js")
          .then(({ startDhcp }) =>
            startDhcp(
              settings,
              {
                bootUrl,
                machine: (mac) => core.machines.find(mac),
                fallsThrough: (m) => core.boot.fallsThrough(m),
                loaders: presentLoaders(loaders, settings.tftpRoot),
                leases: core.dhcpLeases,
                timeline: core.timeline,
                piSeen: (mac, guid) => core.piBoot.learn(mac, guid),
                // With a shared store only the instance elected for the boot network answers DHCP.
                ...(store.shared ? { election } : {}),
              },
              log,
              dhcpTotals,
            ),
          )
          .catch(async (err: unknown) => {
            await tftp?.close();
            await app.close();
            await store.close();
            throw err;
          });

  // With several instances, retention and the agent systems run on the elected leader (periodic-jobs.ts).
  const agents = await startAgents(settings, core, log, leader);
  const stopJobs = startPeriodicJobs(core, log, leader, settings.powerPoll);

  log.info(
    {
      data: dataDir,
      http: `http://${settings.listen}:${port}`,
      tftp: tftp ? `${settings.listen}:${tftp.port}` : "off",
      dhcp: dhcp ? `${dhcp.summary}${dhcpRole(dhcp, store.shared)}` : "off",
      bootUrl,
      generalScript: `${bootUrl}/boot.ipxe`,
      ui: ui ? `${bootUrl}/ui/` : "not built",
      machines: store.count("machines"),
      readyMs: Math.round(performance.now() - started),
      node: `${process.version} ${process.platform}-${process.arch}`, // which build runs, for reports and the arm smoke
    },
    `enforcer ready: machines boot from ${bootUrl}/boot.ipxe`,
  );
  if (adminToken) {
    // Shown once: only its hash is stored. The file is for scripts; delete it once the token is saved elsewhere.
    process.stdout.write(
      `enforcer: first start, admin token (also in ${join(dataDir, "admin.token")}, mode 0600):\n  ${adminToken}\n`,
    );
  }
  // One plain line for scripts and tests that wait for readiness.
  process.stdout.write(
    `enforcer: ready http=${port} tftp=${tftp ? tftp.port : "off"} dhcp=${dhcp ? `${dhcp.mode}:${dhcp.ports.join(",")}${dhcpRole(dhcp, store.shared)}` : "off"}` +
      ` boot=${bootUrl}/boot.ipxe data=${dataDir}` +
      `${ui ? ` ui=${bootUrl}/ui/` : ""}\n`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    stopJobs();
    await leader.resign();
    await agents.stop();
    await dhcp?.close();
    await tftp?.close();
    await app.close();
    await core.retention.settled();
    await core.assets.flush().catch((err) => log.error({ err }, "asset cache: last-use times not written"));
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/**
 * What the core starts with, from the frozen settings: the static ones, and the start-up values of those
 * the API changes at run time (the core's settings service puts the stored changes over them).
 */
function coreSettings(settings: Readonly<Settings>, publicUrl: string): CoreSettings {
  return {
    publicUrl,
    retryWindowMs: settings.retryWindow * 1000,
    seenIntervalMs: settings.seenInterval * 1000,
    discovery: settings.discovery,
    discoveryUrl: settings.discoveryUrl,
    remotes: settings.remote,
    limits: {
      historyPerMachine: settings.historyPerMachine,
      historyDays: settings.historyDays,
      finishedPerMachine: settings.finishedPerMachine,
      maxDiscoverySessions: settings.maxDiscoverySessions,
      maxUnknownMachines: settings.maxUnknownMachines,
      maxAnonymousConflicts: settings.maxAnonymousConflicts,
    },
  };
}

/** The discovery image's files, served as discovery/vmlinuz and discovery/initrd.gz (TFTP and /tftp/). */
function discoveryFiles(dir: string | undefined): [string, string][] {
  if (!dir) return [];
  const files: [string, string][] = [
    ["discovery/vmlinuz", join(resolve(dir), "vmlinuz")],
    ["discovery/initrd.gz", join(resolve(dir), "initrd.gz")],
  ];
  for (const [, path] of files) {
    if (!existsSync(path)) {
      throw new EnforcerError(
        "ENF_ERR_SETTINGS_INVALID",
        `--discovery-image: ${path} is missing (run enforcer discovery build)`,
      );
    }
  }
  return files;
}

/** Every loader name the proxy may offer, with `.efi` variants per UEFI platform (the operator's, in the root). */
const PROXY_LOADERS = ["undionly.kpxe", "ipxe", "snponly"].flatMap((n) =>
  n.endsWith(".kpxe") ? [n] : ["", "-arm64", "-ia32", "-arm32"].map((s) => `${n}${s}.efi`),
);

/** The proxy's loader names present at start: among the named loaders or under the TFTP root. */
function presentLoaders(loaders: ReadonlyMap<string, string>, root: string | undefined): Set<string> {
  return new Set(
    PROXY_LOADERS.filter((n) => loaders.has(n) || (root !== undefined && existsSync(join(root, n)))),
  );
}

/** With a shared store, whether this instance answers DHCP now (`:leading`) or another does (`:following`). */
function dhcpRole(dhcp: { lead: { leading(): boolean } }, shared: boolean): string {
  return shared ? `:${dhcp.lead.leading() ? "leading" : "following"}` : "";
}

/** The DHCP totals as /metrics reads them. */
function dhcpMetrics(t: DhcpTotals, leases: () => { inUse: number; free: number } | undefined) {
  return {
    leases,
    answers: t.answers,
    skipped: t.skipped,
    dropped: t.server.dropped,
    faults: t.server.faults,
    received: () => t.server.received,
    leaseEvents: t.leaseEvents,
    lead: () => (t.lead ? { network: t.lead.network, leading: t.lead.leading() } : undefined),
    followerDropped: () => t.followerDropped,
  };
}

/**
 * A quarter of the process's open file limit (Linux): a connection streaming `/tftp/` from disk holds two
 * descriptors, and however many connections are open, TFTP transfers and the store must still get theirs.
 * Unbounded when the limit cannot be read.
 */
function quarterOfFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? Math.max(64, Math.floor(Number(m[1]) / 4)) : Infinity;
  } catch {
    return Infinity;
  }
}
