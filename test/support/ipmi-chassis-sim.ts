// ipmi_sim (Debian openipmi) on loopback with one BMC whose chassis is a QemuChassis.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "./enforcer-process.js";

/** A running ipmi_sim: where it listens and the one admin user it knows. */
export interface ChassisBmc {
  address: string;
  port: number;
  username: string;
  password: string;
  /** What ipmi_sim printed. */
  logs: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts ipmi_sim on 127.0.0.1 (a free UDP port, RMCP+ with cipher suite 3) with user `username`/`password`
 * as admin and `controlCommand` as its chassis_control program; answers once ipmitool reaches it.
 */
export async function startChassisBmc(o: {
  controlCommand: string;
  username: string;
  password: string;
}): Promise<ChassisBmc> {
  if (o.password.includes('"') || o.username.includes('"')) throw new Error("no quotes in the sim's user");
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), "enforcer-ipmi-sim-"));
  mkdirSync(join(dir, "state"));
  const auths = "none md2 md5 straight";
  writeFileSync(
    join(dir, "lan.conf"),
    [
      'name "enforcer-test"',
      "set_working_mc 0x20",
      "  startlan 1",
      `    addr 127.0.0.1 ${port}`,
      "    priv_limit admin",
      ...["callback", "user", "operator", "admin"].map((p) => `    allowed_auths_${p} ${auths}`),
      "    guid a123456789abcdefa123456789abcdef",
      "  endlan",
      `  chassis_control "${o.controlCommand}"`,
      `  user 2 true "${o.username}" "${o.password}" admin 10 ${auths}`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "sim.emu"),
    "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n",
  );
  const args = ["-c", join(dir, "lan.conf"), "-f", join(dir, "sim.emu"), "-s", join(dir, "state"), "-n"];
  const child: ChildProcess = spawn("ipmi_sim", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const failed = new Promise<never>((_, rej) => {
    child.once("error", (e) =>
      rej(new Error(`ipmi_sim did not start (apt-get install openipmi): ${e.message}`)),
    );
    child.once("exit", (code) => rej(new Error(`ipmi_sim exited ${code}: ${out}`)));
  });
  failed.catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((res) => child.once("exit", res));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([failed, reachable(port, o.username, o.password)]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    username: o.username,
    password: o.password,
    logs: () => out,
    stop,
  };
}

/** Polls `ipmitool mc info` until the sim answers (it binds its port a moment after it starts). */
async function reachable(port: number, user: string, password: string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = spawn(
        "ipmitool",
        [
          "-I",
          "lanplus",
          "-C",
          "3",
          "-H",
          "127.0.0.1",
          "-p",
          String(port),
          "-U",
          user,
          "-E",
          "-N",
          "1",
          "-R",
          "1",
          "mc",
          "info",
        ],
        { stdio: "ignore", env: { ...process.env, IPMI_PASSWORD: password } },
      );
      c.once("error", () => res(false));
      c.once("exit", (code) => res(code === 0));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`ipmi_sim on 127.0.0.1:${port} did not answer within 10 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
