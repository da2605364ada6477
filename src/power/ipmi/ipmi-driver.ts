import type { PowerDriver, PowerResult, PowerTarget } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";
import { POWER_ACTIONS, type PowerAction, type PowerState } from "../../domain/power.js";
import { ipmiFailure, powerError, powerTimeout, PROBE_WAIT_MS, redacted, toolWords } from "./ipmi-failure.js";
import { clean, ipmiEndpoint, redact, type IpmiEndpoint } from "./ipmi-text.js";
import { runIpmitool } from "./ipmitool-run.js";

/** The lanplus cipher suite when the target names none: 3 (ipmitool's 17 costs seconds a call on many BMCs). */
export const DEFAULT_CIPHER_SUITE = 3;

/** ipmiDriver's settings; the defaults suit a BMC on a LAN. */
export interface IpmiDriverOptions {
  /** The ipmitool program (default `ipmitool`, found on PATH). */
  ipmitool?: string;
  /**
   * ipmitool's `-N` (seconds per try) and `-R` (tries) per request. The defaults (1 s, 2 tries: ipmitool
   * backs off, 4 packets in 6 s) make a silent BMC end in about 7 s with the probe's second, below the
   * core's default 15 s signal; -N 2 -R 2 took 10 s.
   */
  requestTimeoutSec?: number;
  retries?: number;
  /** How long the probe after an unexplained failure waits for an answer (default 1000 ms). */
  probeWaitMs?: number;
}

/** The IPMI driver: each action is one ipmitool -I lanplus run (two for `cycle`: status, then cycle or on). */
export function ipmiDriver(o: IpmiDriverOptions = {}): PowerDriver {
  const tool = o.ipmitool ?? "ipmitool";
  const probeWaitMs = o.probeWaitMs ?? PROBE_WAIT_MS;
  const ipmitool = async (t: PowerTarget, e: IpmiEndpoint, command: string[], signal: AbortSignal) => {
    const args = ["-I", "lanplus", "-v", "-H", e.host, "-p", String(e.port)];
    args.push("-C", String(t.options.cipherSuite ?? DEFAULT_CIPHER_SUITE));
    args.push("-N", String(o.requestTimeoutSec ?? 1), "-R", String(o.retries ?? 2));
    if (t.username !== undefined) args.push("-U", t.username);
    if (t.password !== undefined) args.push("-E");
    const r = await runIpmitool(tool, [...args, ...command], t.password, signal);
    switch (r.kind) {
      case "ok":
        return clean(redact(r.stdout, t.password));
      case "aborted":
        throw powerTimeout(e);
      case "missing":
        throw new EnforcerError(
          "ENF_ERR_POWER_TOOL_MISSING",
          `${clean(tool, 80)} is not installed (not found on PATH or not executable)`,
        );
      case "overflow":
        throw powerError("ENF_ERR_POWER_BAD_ANSWER", "ipmitool wrote more than 64 KiB", e, "");
      case "crashed":
        throw redacted(
          powerError(
            "ENF_ERR_POWER_BAD_ANSWER",
            `ipmitool stopped on the BMC's answer (${r.signal})`,
            e,
            toolWords(r.stderr, r.stdout),
          ),
          t.password,
        );
      case "failed":
        throw redacted(await ipmiFailure(e, toolWords(r.stderr, r.stdout), signal, probeWaitMs), t.password);
    }
  };
  return {
    name: "ipmi",
    actions: POWER_ACTIONS,
    async run(target: PowerTarget, action: PowerAction, signal: AbortSignal): Promise<PowerResult> {
      const e = ipmiEndpoint(target.address);
      const call = (...command: string[]) => ipmitool(target, e, command, signal);
      switch (action) {
        case "status": {
          const out = await call("chassis", "power", "status");
          return { state: powerState(out, e), detail: out };
        }
        case "on":
          return control(await call("chassis", "power", "on"), "on", e);
        case "off":
          return control(await call("chassis", "power", "off"), "off", e);
        case "cycle": {
          // Many BMCs refuse a cycle of an off chassis ("Command not supported in present state"): power on.
          const state = powerState(await call("chassis", "power", "status"), e);
          if (state === "off") {
            const r = control(await call("chassis", "power", "on"), "on", e);
            return { state: "on", detail: `${r.detail} (it was off)` };
          }
          return control(await call("chassis", "power", "cycle"), "on", e);
        }
        case "pxe-once": {
          const command = ["chassis", "bootdev", "pxe"];
          if (target.options.bootMode === "uefi") command.push("options=efiboot");
          const out = await call(...command);
          if (!/Set Boot Device to pxe/i.test(out))
            throw powerError("ENF_ERR_POWER_BAD_ANSWER", "ipmitool did not confirm the boot device", e, out);
          return { detail: out };
        }
      }
    },
  };
}

/** `Chassis Power is on|off` to a state; anything else is not an answer we know. */
function powerState(out: string, e: IpmiEndpoint): PowerState {
  const m = /Chassis Power is (on|off)/i.exec(out);
  if (!m) throw powerError("ENF_ERR_POWER_BAD_ANSWER", "ipmitool did not tell the power state", e, out);
  return m[1]?.toLowerCase() === "on" ? "on" : "off";
}

/** `Chassis Power Control: Up/On|Down/Off|Cycle` confirms the action; the state is the one it leads to. */
function control(out: string, after: PowerState, e: IpmiEndpoint): PowerResult {
  const m = /Chassis Power Control: [^\n;]*/i.exec(out);
  if (!m) throw powerError("ENF_ERR_POWER_BAD_ANSWER", "ipmitool did not confirm the power control", e, out);
  return { state: after, detail: m[0].trim() };
}
