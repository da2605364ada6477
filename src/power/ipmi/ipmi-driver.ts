import type { PowerDriver, PowerResult, PowerTarget } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";
import { POWER_ACTIONS, type PowerAction, type PowerState } from "../../domain/power.js";
import {
  commandRefusal,
  ipmiFailure,
  powerError,
  powerTimeout,
  PROBE_WAIT_MS,
  probeError,
  redacted,
  toolWords,
} from "./ipmi-failure.js";
import { probeIpmi } from "./ipmi-probe.js";
import { clean, ipmiEndpoint, type IpmiEndpoint } from "./ipmi-text.js";
import { runIpmitool } from "./ipmitool-run.js";

/** How long ipmitool runs before a probe checks that the port is an IPMI one at all. */
export const EARLY_PROBE_MS = 1000;

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
  /** How long a probe of the BMC's port waits for an answer (default 1000 ms). */
  probeWaitMs?: number;
  /** When a probe runs beside an ipmitool that has not finished (default 1000 ms). */
  earlyProbeMs?: number;
}

/** The IPMI driver: each action is one ipmitool -I lanplus run (two for `cycle`: status, then cycle or on). */
export function ipmiDriver(o: IpmiDriverOptions = {}): PowerDriver {
  const tool = o.ipmitool ?? "ipmitool";
  const probeWaitMs = o.probeWaitMs ?? PROBE_WAIT_MS;
  const ipmitool = async (t: PowerTarget, e: IpmiEndpoint, command: string[], signal: AbortSignal) => {
    // Operator is the least privilege that may control the chassis and set the boot device.
    const args = ["-I", "lanplus", "-v", "-L", "OPERATOR", "-H", e.host, "-p", String(e.port)];
    args.push("-C", String(t.options.cipherSuite ?? DEFAULT_CIPHER_SUITE));
    args.push("-N", String(o.requestTimeoutSec ?? 1), "-R", String(o.retries ?? 2));
    if (t.username !== undefined) args.push("-U", t.username);
    if (t.password !== undefined) args.push("-E");
    // A BMC answers in well under a second; an ipmitool still waiting after EARLY_PROBE_MS may be retrying
    // against a closed port or junk, which one probe proves: then it is stopped there, not after its retries.
    const early = new AbortController();
    const probing = new AbortController();
    const both = AbortSignal.any([signal, early.signal]);
    let proven: EnforcerError | undefined;
    const timer = setTimeout(() => {
      void probeIpmi(e, probeWaitMs, AbortSignal.any([both, probing.signal])).then((p) => {
        proven = probeError(e, p, "");
        if (proven) early.abort();
      });
    }, o.earlyProbeMs ?? EARLY_PROBE_MS);
    const r = await runIpmitool(tool, [...args, ...command], t.password, both).finally(() => {
      clearTimeout(timer);
      probing.abort();
    });
    if (r.kind === "aborted" && proven && !signal.aborted) throw proven;
    switch (r.kind) {
      case "ok":
        // ipmitool exits 0 on some refusals (`chassis bootdev` as a user without the privilege): its
        // stderr then says why, and the stdout lacks the confirmation.
        // Read unmasked (a short password may be a piece of "Chassis Power is on"); what is shown of it
        // passes the core's cleanWords, which withholds words holding the password.
        return { out: clean(r.stdout), words: toolWords(r.stderr, "") };
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
      const call = async (...command: string[]): Promise<Said> => ({
        ...(await ipmitool(target, e, command, signal)),
        e,
        password: target.password,
      });
      switch (action) {
        case "status": {
          const said = await call("chassis", "power", "status");
          return { state: powerState(said), detail: said.out };
        }
        case "on":
          return control(await call("chassis", "power", "on"), "on");
        case "off":
          return control(await call("chassis", "power", "off"), "off");
        case "cycle": {
          // Many BMCs refuse a cycle of an off chassis ("Command not supported in present state"): power on.
          if (powerState(await call("chassis", "power", "status")) === "off") {
            const r = control(await call("chassis", "power", "on"), "on");
            return { state: "on", detail: `${r.detail} (it was off)` };
          }
          return control(await call("chassis", "power", "cycle"), "on");
        }
        case "pxe-once": {
          const command = ["chassis", "bootdev", "pxe"];
          if (target.options.bootMode === "uefi") command.push("options=efiboot");
          const said = await call(...command);
          if (!/Set Boot Device to pxe/i.test(said.out)) throw unconfirmed(said, "the boot device");
          return { detail: said.out };
        }
      }
    },
  };
}

/** What one successful ipmitool run printed: stdout, and stderr's words less the chatter. */
interface Said {
  out: string;
  words: string;
  e: IpmiEndpoint;
  password: string | undefined;
}

/** `Chassis Power is on|off` to a state; anything else is not an answer we know. */
function powerState(said: Said): PowerState {
  const m = /Chassis Power is (on|off)/i.exec(said.out);
  if (!m) throw unconfirmed(said, "the power state");
  return m[1]?.toLowerCase() === "on" ? "on" : "off";
}

/** `Chassis Power Control: Up/On|Down/Off|Cycle` confirms the action; the state is the one it leads to. */
function control(said: Said, after: PowerState): PowerResult {
  const m = /Chassis Power Control: [^\n;]*/i.exec(said.out);
  if (!m) throw unconfirmed(said, "the power control");
  return { state: after, detail: m[0].trim() };
}

/** ipmitool exited 0 without its confirmation: a refusal when stderr says why, else an answer we do not know. */
function unconfirmed(said: Said, what: string): EnforcerError {
  if (said.words) return redacted(commandRefusal(said.e, said.words), said.password);
  return redacted(
    powerError("ENF_ERR_POWER_BAD_ANSWER", `ipmitool did not confirm ${what}`, said.e, said.out),
    said.password,
  );
}
