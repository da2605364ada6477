import type { Json } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, field, h } from "../dom.js";
import { act } from "../screen.js";
import type { Session } from "../session.js";
import { machineEdit } from "./machine-edit.js";
import { parseVariables } from "../pairs.js";

/**
 * What an operator does to a machine: arm a config from a profile (it boots exactly once), cancel the
 * armed one, and reboot through an agent. Each asks for confirmation first.
 */
export function machineActions(
  session: Session,
  machine: Json & { id: string; agents?: string[] },
  config: (Json & { id: string; state: string }) | null,
  profiles: { name: string; family: string }[],
): HTMLElement {
  const { client } = session;
  const errors = h("div", { class: "errors" });
  const name = String(machine.hostname ?? machine.id);

  const profile = h(
    "select",
    { name: "profile", required: true },
    profiles.map((p) => h("option", { value: p.name }, `${p.name} (${p.family})`)),
  );
  const variables = h("textarea", { name: "variables", rows: 3, class: "mono", spellcheck: "false" });
  const arm = h("button", { type: "submit" }, "Arm config…");
  const armForm = h(
    "form",
    { class: "arm" },
    h("h3", {}, "Provision"),
    profiles.length === 0
      ? h(
          "p",
          {},
          "There are no profiles yet. ",
          h("a", { href: "#/profiles/new" }, "Create a profile"),
          " first.",
        )
      : [field("Profile", profile), field("Variables", variables, "Optional, one NAME=value per line"), arm],
  );
  armForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(arm, errors, async () => {
      const vars = parseVariables(variables.value);
      const ok = await confirmAction(
        "Arm this config?",
        `${name} will boot profile ${profile.value} at its next network boot, exactly once.`,
        "Arm config",
      );
      if (!ok) return;
      // Rendered first without storing anything: a template or variable error leaves no draft behind.
      await client.profiles.preview(profile.value, machine.id, vars);
      const created = (await client.configs.create({
        machine: machine.id,
        profile: profile.value,
        variables: vars,
      })) as { id: string };
      await client.configs.arm(created.id);
      announce(`Config armed for ${name}`);
    });
  });

  const reboot = h("button", { type: "button", class: "danger" }, "Reboot…");
  reboot.addEventListener("click", () =>
    act(reboot, errors, async () => {
      const ok = await confirmAction(
        "Reboot this machine?",
        `${name} will be rebooted now through its agent. Anything running on it stops.`,
        "Reboot now",
      );
      if (!ok) return;
      await client.commands.reboot(machine.id);
      announce(`Reboot queued for ${name}`);
    }),
  );
  const noAgent = (machine.agents ?? []).length === 0;

  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel config…");
  cancel.addEventListener("click", () =>
    act(cancel, errors, async () => {
      if (!config) return;
      const ok = await confirmAction(
        "Cancel the armed config?",
        `${name} will no longer boot profile ${String(config.profile)}; its next boot goes on as if none was armed.`,
        "Cancel config",
      );
      if (!ok) return;
      await client.configs.cancel(config.id);
      announce(`Config cancelled for ${name}`);
    }),
  );
  const holding = config && ["armed", "triggered"].includes(config.state);

  return h(
    "section",
    { class: "actions-panel", "aria-labelledby": "actions-h" },
    h("h2", { id: "actions-h" }, "Actions"),
    holding ? h("div", { class: "row-actions" }, cancel) : armForm,
    h(
      "div",
      { class: "row-actions" },
      reboot,
      noAgent && h("p", { class: "hint" }, "No agent reaches this machine yet, so a reboot would time out."),
    ),
    errors,
    machineEdit(session, machine, !!holding),
  );
}
