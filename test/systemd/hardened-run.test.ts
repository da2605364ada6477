// The unit's service as systemd would run it, as far as this machine can without systemd as PID 1: its
// ExecStart, exactly its Environment= and EnvironmentFile= (env -i), its UMask, a user of its own (nobody,
// as DynamicUser gives one), its capabilities (setpriv: effective, inheritable, ambient and bounding sets),
// NoNewPrivileges, and its SystemCallFilter=, SystemCallErrorNumber= and RestrictAddressFamilies= as a
// seccomp filter (test/support/seccomp-exec.py, from `systemd-analyze syscall-filter`). In a network
// namespace joined to a client's: HTTP on 80, TFTP on 69 and proxyDHCP on 67 and 4011 all answer the client.
// Not played: the mount namespace (ProtectSystem=, PrivateTmp=, ProtectHome=…), ProtectProc=, PrivateIPC=.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { inNs } from "../support/netns-curl.js";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";
import { provePxeExchange } from "../support/pxe-exchange.js";
import {
  allowedFamilies,
  allowedSyscalls,
  localizedUnit,
  parseEnvironmentFile,
} from "../support/systemd-unit.js";

const run = promisify(execFile);
const SECCOMP = resolve("test/support/seccomp-exec.py");
const NET = "10.79.13";
const NOBODY = 65534;
/** CAP_NET_BIND_SERVICE is capability 10: bit 10 of the sets in /proc/PID/status. */
const ONLY_NET_BIND_SERVICE = (1n << 10n).toString(16).padStart(16, "0");

describe(
  "the unit's service, run as systemd would (user, capabilities, system call filter)",
  { timeout: 90_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-hardened-"));
    const data = join(dir, "state");
    const settings = join(dir, "default-enforcer");
    let pair: NetnsPair | undefined;
    let enforcer: NsProcess | undefined;
    const inClient = (cmd: string[]) => inNs(pair!.clientNs, cmd, 20_000);
    const curl = (path: string, ...args: string[]) =>
      inClient(["curl", "-sS", "--max-time", "10", ...args, `http://${NET}.2${path}`]).then((r) => r.stdout);

    before(async () => {
      pair = await createNetnsPair("h", `${NET}.2/24`);
      await run("ip", ["-n", pair.clientNs, "route", "add", "255.255.255.255/32", "dev", pair.clientIf]);
      // What StateDirectory= makes: the service user's own directory, mode 0700 (StateDirectoryMode=).
      chmodSync(dir, 0o711);
      mkdirSync(data, { mode: 0o700 });
      chownSync(data, NOBODY, NOBODY);
      // /etc/default/enforcer as docs/systemd.md shows it: HTTP on 80, proxyDHCP on.
      writeFileSync(
        settings,
        `# Enforcer\nENFORCER_HTTP_PORT=80\nENFORCER_DHCP=proxy\nENFORCER_PUBLIC_URL=http://${NET}.2\n`,
      );
      chmodSync(settings, 0o644);
      const unit = localizedUnit({
        "/usr/bin/node": process.execPath,
        "/usr/lib/node_modules/enforcer": resolve("."),
        "/var/lib/enforcer": data,
        "/etc/default/enforcer": settings,
      });
      const service = (k: string) => unit.get("Service", k);
      assert.deepEqual(service("AmbientCapabilities"), ["CAP_NET_BIND_SERVICE"]);
      assert.deepEqual(service("CapabilityBoundingSet"), ["CAP_NET_BIND_SERVICE"]);
      assert.deepEqual(service("NoNewPrivileges"), ["yes"]);
      assert.deepEqual(service("SystemCallErrorNumber"), ["EPERM"]);
      const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin" };
      for (const e of service("Environment")) env[e.slice(0, e.indexOf("="))] = e.slice(e.indexOf("=") + 1);
      for (const f of service("EnvironmentFile"))
        Object.assign(env, parseEnvironmentFile(readFileSync(f.replace(/^-/, ""), "utf8")));
      const [umask] = service("UMask");
      // prettier-ignore
      const cmd = [
      "sh", "-c", `umask ${umask} && exec "$@"`, "sh",
      "setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--no-new-privs",
      "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
      "--bounding-set=-all,+net_bind_service",
      "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      "python3", SECCOMP, allowedSyscalls(unit).join(","), allowedFamilies(unit).join(","), "--",
      ...service("ExecStart")[0]!.split(/\s+/),
    ];
      enforcer = startInNs(pair.serverNs, cmd, /enforcer: ready http=80 tftp=69 dhcp=proxy:67,4011/);
      await enforcer.ready;
    });

    after(async () => {
      await enforcer?.stop();
      await pair?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    test("it runs as its own user with CAP_NET_BIND_SERVICE alone, no new privileges, under the filter", () => {
      // ip netns exec, sh, setpriv, env and the seccomp helper all exec in place: the child's PID is Node's.
      const status = readFileSync(`/proc/${enforcer!.child.pid}/status`, "utf8");
      assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}`, "m"));
      assert.match(status, /^Groups:\s*$/m);
      for (const set of ["CapEff", "CapPrm", "CapAmb", "CapBnd"])
        assert.match(status, new RegExp(`^${set}:\\s+${ONLY_NET_BIND_SERVICE}$`, "m"), set);
      assert.match(status, /^NoNewPrivs:\s+1$/m);
      assert.match(status, /^Seccomp:\s+2$/m, "a seccomp filter is in force");
      assert.match(
        readFileSync(`/proc/${enforcer!.child.pid}/cmdline`, "utf8"),
        /bin\/enforcer\.js\0serve\0$/,
      );
    });

    test("proxyDHCP on 67 and 4011, the loader over TFTP on 69", async () => {
      await provePxeExchange(pair!, NET, dir);
    });

    test("HTTP on 80 (the client has its address now): boot.ipxe, the API with the token it wrote, the UI", async () => {
      assert.match(await curl("/boot.ipxe"), /^#!ipxe\n/);
      const token = readFileSync(join(data, "admin.token"), "utf8").trim();
      const machines = JSON.parse(await curl("/api/v1/machines", "-H", `Authorization: Bearer ${token}`)) as {
        total: number;
      };
      assert.equal(machines.total, 0);
      assert.match(await curl("/ui/"), /<!doctype html>/i);
    });

    test("UMask=0077: nothing it wrote is readable by anyone else", () => {
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)],
        );
      const written = walk(data);
      assert.ok(written.length > 1, "the store wrote its files");
      for (const f of written) {
        const st = statSync(f);
        assert.equal(st.uid, NOBODY, f);
        assert.equal(st.mode & 0o077, 0, `${f} is mode ${(st.mode & 0o777).toString(8)}`);
      }
    });
  },
);

test("AF_NETLINK is in the unit because Node's interface list needs it", async () => {
  const unit = localizedUnit({});
  const withoutNetlink = allowedFamilies(unit).filter((f) => f !== 16);
  const list = (families: number[]) =>
    run("setpriv", [
      "--no-new-privs",
      ...["python3", SECCOMP, allowedSyscalls(unit).join(","), families.join(","), "--"],
      ...[process.execPath, "-e", "console.log(Object.keys(require('os').networkInterfaces()).length)"],
    ]).then(
      (r) => r.stdout.trim(),
      (err: { stderr?: string }) => err.stderr ?? "",
    );
  assert.match(await list(allowedFamilies(unit)), /^\d+$/);
  assert.match(await list(withoutNetlink), /uv_interface_addresses/);
});
