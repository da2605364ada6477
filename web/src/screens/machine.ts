import type { Conflict, Json, PowerView, StreamEvent } from "../api.js";
import { h, replace } from "../dom.js";
import { factsList, type Value } from "../facts-view.js";
import { eventWords, when } from "../format.js";
import { errorBox, heading, type Screen, type ScreenContext } from "../screen.js";
import { can } from "../session.js";
import { machineActions } from "./machine-actions.js";
import { machineConflicts } from "./machine-conflicts.js";
import { latestBoot } from "./machine-boot.js";
import { powerPanel } from "./machine-power.js";
import { stateBadge } from "./machines.js";

type Machine = Json & {
  id: string;
  macs: string[];
  hostname?: string;
  labels: Record<string, string>;
  agents?: string[];
  facts: Record<string, Value>;
  state: string;
  config: Config | null;
  lastConfig: Config | null;
  conflicts?: Conflict[];
  power?: PowerView | null;
};
/** How often the machine screen asks for its latest boot again. */
const BOOT_REFRESH_MS = 3000;
type Config = Json & { id: string; state: string; profile: string; lifecycle: Record<string, string> };

function pairs(rows: [string, unknown][]): HTMLElement {
  return h(
    "dl",
    { class: "pairs" },
    rows
      .filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
  );
}

function configView(m: Machine): HTMLElement {
  // The live config when there is one, else the last one (completed, expired or cancelled).
  const c = m.config ?? m.lastConfig;
  const state = m.state;
  return h(
    "section",
    { class: "card", "aria-labelledby": "config-h" },
    h("h2", { id: "config-h" }, "Current config"),
    h("p", { class: "state-line" }, "State: ", stateBadge(state)),
    c
      ? pairs([
          ["Profile", c.profile],
          ["Config", c.id],
          ["Armed", c.lifecycle.armedAt && when(c.lifecycle.armedAt)],
          ["Booted it", c.lifecycle.triggeredAt && when(c.lifecycle.triggeredAt)],
          ["Completed", c.lifecycle.completedAt && when(c.lifecycle.completedAt)],
        ])
      : h("p", {}, "No config yet: at its next network boot this machine goes on to its local disk."),
  );
}

function identity(m: Machine): HTMLElement {
  const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`);
  return h(
    "section",
    { class: "card", "aria-labelledby": "id-h" },
    h("h2", { id: "id-h" }, "Identity"),
    pairs([
      ["MAC addresses", m.macs.join(", ")],
      ["Host name", m.hostname],
      ["UUID", m.uuid],
      ["Serial", m.serial],
      ["Boots as", m.arch && `${String(m.arch)} ${String(m.platform ?? "")}`],
      ["Labels", labels.join(", ")],
      ["Agents", (m.agents ?? []).join(", ") || "none"],
      ["Known since", when(m.firstSeen as string)],
      ["Last seen", when(m.lastSeen as string)],
    ]),
  );
}

function eventItem(e: StreamEvent): HTMLElement {
  return h("li", {}, h("time", { datetime: e.at }, when(e.at)), " ", eventWords(e.kind, e.detail));
}

/** One machine: its config and state, identity, facts, actions, power and a timeline that grows live. */
export async function machineScreen(ctx: ScreenContext): Promise<Screen> {
  const id = ctx.params[0]!;
  const { client } = ctx.session;
  const operator = can(ctx.session, "operator");
  const [first, history, profiles] = await Promise.all([
    client.machines.get(id) as Promise<Machine>,
    client.machines.events(id),
    operator ? client.profiles.list() : Promise.resolve({ items: [] }),
  ]);
  let m = first;
  const title = m.hostname ?? m.id;
  const summary = h("div", { class: "grid" });
  const conflicts = h("div", {});
  const facts = h("section", { class: "card wide-card", "aria-labelledby": "facts-h" });
  const actions = h("div", {});
  const errors = h("div", { class: "errors" });
  const timeline = h("ol", { class: "timeline", reversed: true });
  const boot = h("div", { class: "latest-boot" });
  let actionsKey = "";
  const power = powerPanel(ctx.session, m, m.power ?? null);
  // The latest boot is live in the server's memory, not in the event stream: fetched again every few seconds.
  const drawBoot = () =>
    client.machines.timeline(id, 1).then(
      (t) => replace(boot, latestBoot(t)),
      () => replace(boot, h("p", {}, "No network boot seen since Enforcer started.")),
    );
  void drawBoot();
  const bootTimer = window.setInterval(() => void drawBoot(), BOOT_REFRESH_MS);

  const draw = () => {
    replace(summary, configView(m), identity(m));
    replace(conflicts, machineConflicts(ctx.session, m.conflicts ?? []));
    replace(facts, h("h2", { id: "facts-h" }, "Facts"), factsList(m.facts));
    power.update(m.power ?? null);
    // The action form is redrawn only when what it offers changes, never under someone's typing.
    const key = `${m.state}|${(m.agents ?? []).length > 0}`;
    if (operator && key !== actionsKey) {
      actionsKey = key;
      replace(
        actions,
        machineActions(ctx.session, m, m.config, profiles.items as { name: string; family: string }[]),
      );
    }
  };
  draw();
  replace(timeline, [...history.items].reverse().map(eventItem));

  let timer = 0;
  const unsubscribe = ctx.live.subscribe((e) => {
    if (e.machine !== m.id) return;
    timeline.prepend(eventItem(e));
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      (client.machines.get(id) as Promise<Machine>).then(
        (next) => {
          m = next;
          errors.replaceChildren();
          draw();
        },
        (err) => replace(errors, errorBox(err)),
      );
    }, 200);
  });

  const node = h(
    "section",
    { class: "machine-screen" },
    h("p", { class: "crumbs" }, h("a", { href: "#/machines" }, "Machines"), " / ", m.id),
    heading(title),
    errors,
    conflicts,
    summary,
    actions,
    power.node,
    h(
      "section",
      { class: "card wide-card", "aria-labelledby": "boot-h" },
      h("h2", { id: "boot-h" }, "Latest boot"),
      boot,
    ),
    facts,
    h(
      "section",
      { class: "card wide-card", "aria-labelledby": "timeline-h" },
      h("h2", { id: "timeline-h" }, "Timeline"),
      h("p", { class: "hint" }, "Newest first; new events appear as they happen."),
      timeline,
    ),
  );
  return {
    title,
    node,
    dispose: () => (unsubscribe(), clearTimeout(timer), clearInterval(bootTimer)),
  };
}
