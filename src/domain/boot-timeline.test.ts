// The attempt aggregator: steps grouped per boot attempt (not per packet), within its caps.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addStep,
  DEFAULT_TIMELINE_CAPS,
  stepLabel,
  type MachineTimeline,
  type TimelineStep,
} from "./boot-timeline.js";

const caps = DEFAULT_TIMELINE_CAPS;
const fresh = (): MachineTimeline => ({ mac: "52:54:00:00:00:01", attempts: [], droppedAttempts: 0 });
const firmwareDhcp = (at: number, port: "dhcp" | "boot-server" = "dhcp"): TimelineStep => ({
  kind: "dhcp",
  client: "uefi-pxe",
  port,
  offered: "ipxe.efi",
  reply: port === "dhcp" ? "offer" : "ack",
  at,
  count: 1,
});
const ipxeDhcp = (at: number): TimelineStep => ({
  kind: "dhcp",
  client: "ipxe",
  port: "dhcp",
  offered: "http://e/boot.ipxe",
  reply: "offer",
  at,
  count: 1,
});
const loader = (at: number): Extract<TimelineStep, { kind: "tftp" }> => ({
  kind: "tftp",
  file: "ipxe.efi",
  bytes: 1000,
  size: 1000,
  durationMs: 5,
  resent: 0,
  lastBlock: 2,
  outcome: "complete",
  at,
  count: 1,
});
const http = (at: number, what: "boot-script" | "machine-script", status = 200): TimelineStep => ({
  kind: "http",
  what,
  path: what === "boot-script" ? "/boot.ipxe" : "/boot/machine",
  status,
  durationMs: 3,
  ...(what === "machine-script" && status === 404 ? { decision: "none", reason: "no-config" } : {}),
  at,
  count: 1,
});

/** Feeds steps into a fresh timeline; returns it. */
function feed(steps: TimelineStep[]): MachineTimeline {
  const t = fresh();
  for (const s of steps) addStep(t, s, caps);
  return t;
}

test("one whole boot is one attempt: firmware DHCP, loader, iPXE's DHCP, boot.ipxe, machine script", () => {
  const t = feed([
    firmwareDhcp(0),
    firmwareDhcp(10, "boot-server"),
    loader(20),
    ipxeDhcp(30),
    http(40, "boot-script"),
    http(50, "machine-script", 404),
  ]);
  assert.equal(t.attempts.length, 1);
  assert.equal(t.attempts[0]!.steps.length, 6);
});

test("DHCP retries are one step with a count, not one step per packet", () => {
  const t = feed([firmwareDhcp(0), firmwareDhcp(4000), firmwareDhcp(12000)]);
  assert.equal(t.attempts.length, 1);
  assert.equal(t.attempts[0]!.steps.length, 1);
  assert.equal(t.attempts[0]!.steps[0]!.count, 3);
  assert.match(stepLabel(t.attempts[0]!.steps[0]!), /x3$/);
});

test("firmware asking DHCP again after its attempt went past DHCP starts a new attempt", () => {
  const t = feed([firmwareDhcp(0), loader(10), http(20, "boot-script"), firmwareDhcp(60_000)]);
  assert.equal(t.attempts.length, 2);
  assert.equal(t.attempts[1]!.n, 2);
});

test("iPXE asking DHCP again in the same boot does not start a new attempt", () => {
  const t = feed([firmwareDhcp(0), loader(10), ipxeDhcp(20), ipxeDhcp(25)]);
  assert.equal(t.attempts.length, 1);
});

test("a loader or boot.ipxe after the machine script starts a new attempt (firmware DHCP not seen)", () => {
  const t = feed([loader(0), http(10, "boot-script"), http(20, "machine-script", 404), loader(90_000)]);
  assert.equal(t.attempts.length, 2);
  const u = feed([http(0, "boot-script"), http(10, "machine-script", 404), http(30_000, "boot-script")]);
  assert.equal(u.attempts.length, 2);
});

test("a loader fetched again before any script stays in the attempt (the loop must be visible)", () => {
  const t = feed([firmwareDhcp(0), loader(10), ipxeDhcp(20), loader(30)]);
  assert.equal(t.attempts.length, 1);
  assert.equal(t.attempts[0]!.steps.length, 4);
});

test("an idle gap starts a new attempt; provisioning joins its attempt for hours", () => {
  const t = feed([http(0, "machine-script"), http(caps.idleMs + 1, "machine-script")]);
  assert.equal(t.attempts.length, 2);
  const u = feed([
    http(0, "machine-script"),
    { kind: "provision", event: "config.completed", at: 2 * 3600_000, count: 1 },
  ]);
  assert.equal(u.attempts.length, 1);
});

test("caps: attempts per machine and steps per attempt hold, with counts of what went", () => {
  const t = fresh();
  for (let i = 0; i < 20; i++) addStep(t, firmwareDhcp(i * caps.idleMs * 2), caps);
  assert.equal(t.attempts.length, caps.attemptsPerMachine);
  assert.equal(t.droppedAttempts, 20 - caps.attemptsPerMachine);
  assert.equal(t.attempts.at(-1)!.n, 20);
  const u = fresh();
  for (let i = 0; i < 200; i++)
    addStep(u, { ...loader(i), file: `f${i}.bin`, outcome: "refused", lastBlock: 0 }, caps);
  const a = u.attempts[0]!;
  assert.equal(a.steps.length, caps.stepsPerAttempt);
  assert.equal(a.droppedSteps, 200 - caps.stepsPerAttempt);
  // The first step and the newest ones are kept: where it began and where it stopped.
  assert.equal((a.steps[0] as { file: string }).file, "f0.bin");
  assert.equal((a.steps.at(-1) as { file: string }).file, "f199.bin");
});
