// One test per known trap: the attempt's steps in, where it stopped and the hint out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diagnoseAttempt, QUIET_MS } from "./boot-hints.js";
import type { BootAttempt, TimelineStep } from "./boot-timeline.js";

type Step = TimelineStep;
const at = (n: number) => ({ at: n, count: 1 });
const offer = (t: number, client = "uefi-pxe", offered = "ipxe.efi"): Step => ({
  kind: "dhcp",
  client,
  port: "dhcp",
  offered,
  reply: "offer",
  ...at(t),
});
const tftp = (t: number, over: Partial<Extract<Step, { kind: "tftp" }>> = {}): Step => ({
  kind: "tftp",
  file: "ipxe.efi",
  bytes: 1_000_000,
  size: 1_000_000,
  durationMs: 900,
  resent: 0,
  lastBlock: 1954,
  outcome: "complete",
  ...at(t),
  ...over,
});
const http = (t: number, over: Partial<Extract<Step, { kind: "http" }>> = {}): Step => ({
  kind: "http",
  what: "boot-script",
  path: "/boot.ipxe",
  status: 200,
  durationMs: 2,
  ...at(t),
  ...over,
});
const machineScript = (t: number, status: number, decision: "config" | "none", reason?: string) =>
  http(t, {
    what: "machine-script",
    path: "/boot/machine",
    status,
    decision,
    ...(reason ? { reason } : {}),
  });
const attempt = (steps: Step[]): BootAttempt => ({
  n: 1,
  startedAt: steps[0]!.at,
  lastAt: steps.at(-1)!.at,
  steps,
  droppedSteps: 0,
});
const later = (steps: Step[]) => steps.at(-1)!.at + QUIET_MS + 1;
const diagnose = (steps: Step[], now = later(steps)) => diagnoseAttempt(attempt(steps), now);

test("proxy offer ignored: an offer sent, the loader never requested", () => {
  const d = diagnose([offer(0), offer(4000)]);
  assert.equal(d.outcome, "stopped");
  assert.equal(d.hint?.code, "proxy-offer-ignored");
  assert.equal(d.stopIndex, 1);
  assert.match(d.hint!.text, /ipxe\.efi/);
});

test("the same offer while the firmware may still fetch is in progress, not a stop", () => {
  const steps = [offer(0)];
  assert.equal(diagnose(steps, 1000).outcome, "in-progress");
});

test("loader loop: the loader fetched twice in one attempt", () => {
  const d = diagnose([offer(0), tftp(10), offer(20, "ipxe", "http://e/boot.ipxe"), tftp(30)]);
  assert.equal(d.hint?.code, "loader-loop");
  assert.equal(d.stopIndex, 3);
});

test("loader loop: merged repeats of one fetch count too", () => {
  const d = diagnose([{ ...tftp(10), count: 3 }]);
  assert.equal(d.hint?.code, "loader-loop");
});

test("loader loop: iPXE offered the loader again", () => {
  const d = diagnose([offer(0), tftp(10), offer(20, "ipxe", "ipxe.efi")]);
  assert.equal(d.hint?.code, "loader-loop");
  assert.equal(d.stopIndex, 2);
});

test("an iPXE ROM offered a loader before any fetch (the loader label chaining Enforcer's iPXE) is no loop", () => {
  const d = diagnose([offer(0, "ipxe", "undionly.kpxe"), tftp(10, { file: "undionly.kpxe" })]);
  assert.notEqual(d.hint?.code, "loader-loop");
});

test("a size probe before the real fetch is no loop", () => {
  const d = diagnose([offer(0), tftp(5, { outcome: "size-probe", bytes: 0, lastBlock: 0 }), tftp(10)]);
  assert.notEqual(d.hint?.code, "loader-loop");
});

test("TFTP stall at a block: the transfer stopped at block N, the client stopped acknowledging", () => {
  const d = diagnose([offer(0), tftp(10, { outcome: "stalled", lastBlock: 612, bytes: 313344, resent: 5 })]);
  assert.equal(d.outcome, "stopped");
  assert.equal(d.hint?.code, "tftp-stall");
  assert.match(d.hint!.text, /block 612/);
  assert.match(d.stop!, /stalled block 612/);
});

test("client gave up: an ERROR from the client in the middle of the transfer", () => {
  const d = diagnose([tftp(10, { outcome: "gave-up", lastBlock: 7, error: "user abort" })]);
  assert.equal(d.hint?.code, "client-gave-up");
  assert.match(d.hint!.text, /block 7.*user abort/);
});

test("file not found: the name is in the hint (TFTP and HTTP)", () => {
  const d = diagnose([
    offer(0),
    tftp(10, { file: "snponly.efi", outcome: "refused", error: "File not found" }),
  ]);
  assert.equal(d.hint?.code, "file-not-found");
  assert.match(d.hint!.text, /snponly\.efi/);
  const h = diagnose([http(10, { what: "boot-file", path: "/tftp/nope.efi", status: 404 })]);
  assert.equal(h.hint?.code, "file-not-found");
  assert.match(h.hint!.text, /nope\.efi/);
});

test("UEFI firmware sent to its disk: the refused enforcer-local-disk is the plan, not a missing file", () => {
  const d = diagnose([
    offer(0),
    tftp(10, { file: "enforcer-local-disk", outcome: "refused", error: "File not found" }),
  ]);
  assert.notEqual(d.hint?.code, "file-not-found", JSON.stringify(d));
  const h = diagnose([http(10, { what: "boot-file", path: "/tftp/enforcer-local-disk", status: 404 })]);
  assert.notEqual(h.hint?.code, "file-not-found", JSON.stringify(h));
});

test("every source fell through: script served, nothing armed here", () => {
  const d = diagnose([offer(0), tftp(10), http(20), machineScript(30, 404, "none", "no-config")], 31);
  assert.equal(d.outcome, "fell-through");
  assert.equal(d.hint?.code, "fell-through");
  assert.equal(d.stopIndex, 3);
});

test("retry window passed: the config was fetched before", () => {
  const d = diagnose([machineScript(30, 404, "none", "window-passed")]);
  assert.equal(d.hint?.code, "retry-window-passed");
});

test("loader sent, no script asked: the loader hangs or gets no DHCP answer", () => {
  const d = diagnose([offer(0), tftp(10)]);
  assert.equal(d.hint?.code, "loader-no-script");
});

test("boot.ipxe fetched, machine script never asked", () => {
  assert.equal(diagnose([tftp(10), http(20)]).hint?.code, "machine-script-not-asked");
  assert.equal(
    diagnose([tftp(10), tftp(20, { file: "boot.ipxe", bytes: 900 })]).hint?.code,
    "machine-script-not-asked",
  );
});

test("iPXE told the script URL never asked for it", () => {
  const d = diagnose([offer(0), tftp(10), offer(20, "ipxe", "http://e/boot.ipxe")]);
  assert.equal(d.hint?.code, "script-url-ignored");
});

test("no DHCP answer: the proxy's skip reason is named", () => {
  const d = diagnose([
    {
      kind: "dhcp",
      client: "uefi-pxe",
      port: "dhcp",
      skip: "unknown-machine",
      skipDetail: "52:54:00:00:00:09 is not a known machine (--dhcp-known-only)",
      ...at(0),
    },
  ]);
  assert.equal(d.hint?.code, "dhcp-no-answer");
  assert.match(d.hint!.text, /known-only/);
});

test("rate limited and server errors are named", () => {
  assert.equal(diagnose([http(0, { status: 429 })]).hint?.code, "rate-limited");
  assert.equal(diagnose([http(0, { status: 500 })]).hint?.code, "server-error");
});

test("a provisioned boot has no hint; a served config is no stop", () => {
  const steps: Step[] = [
    machineScript(0, 200, "config"),
    { kind: "provision", event: "config.triggered", ...at(1) },
    http(100, { what: "provisioning-file", path: "/p/…/preseed.cfg" }),
    { kind: "provision", event: "config.completed", ...at(900_000) },
  ];
  const d = diagnose(steps);
  assert.equal(d.outcome, "provisioned");
  assert.equal(d.hint, undefined);
  assert.equal(diagnose(steps.slice(0, 3)).outcome, "config-served");
});
