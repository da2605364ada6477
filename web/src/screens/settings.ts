import { announce, field, h, replace } from "../dom.js";
import { act, heading, type Screen, type ScreenContext } from "../screen.js";
import { can } from "../session.js";

/** Discovery on or off, the remote Enforcer instances unknown machines are passed on to, and agent systems. */
export async function settingsScreen(ctx: ScreenContext): Promise<Screen> {
  const { client } = ctx.session;
  const [discovery, remotes, agents] = await Promise.all([
    client.settings.discovery(),
    client.settings.remotes(),
    client.settings.agents(),
  ]);
  const readOnly = !can(ctx.session, "operator");

  const errors = h("div", { class: "errors" });
  const toggle = h(
    "button",
    { type: "button", role: "switch", class: "switch", disabled: readOnly, "aria-describedby": "disc-hint" },
    "Discovery",
  );
  const show = (on: boolean) => {
    toggle.setAttribute("aria-checked", String(on));
    toggle.textContent = on ? "Discovery is on" : "Discovery is off";
  };
  show(discovery.enabled);
  toggle.addEventListener("click", () =>
    act(toggle, errors, async () => {
      const on = toggle.getAttribute("aria-checked") !== "true";
      await client.settings.setDiscovery(on, discovery.url ?? undefined);
      show(on);
      announce(on ? "Discovery turned on" : "Discovery turned off");
    }),
  );

  const list = h("textarea", {
    name: "remotes",
    rows: 4,
    class: "mono",
    spellcheck: "false",
    readonly: readOnly,
  });
  list.value = remotes.remotes.join("\n");
  const save = h("button", { type: "submit" }, "Save remotes");
  const saved = h("div", {});
  const form = h(
    "form",
    {},
    field(
      "Remote instances",
      list,
      "One base URL per line, tried in order for machines this instance does not know",
    ),
    !readOnly && save,
    saved,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saved.replaceChildren();
    void act(save, errors, async () => {
      const urls = list.value
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean);
      const r = await client.settings.setRemotes(urls);
      list.value = r.remotes.join("\n");
      replace(saved, h("p", { class: "ok", role: "status" }, "Saved."));
    });
  });

  const node = h(
    "section",
    {},
    heading("Settings"),
    errors,
    h(
      "section",
      { class: "card", "aria-labelledby": "disc-h" },
      h("h2", { id: "disc-h" }, "Discovery"),
      toggle,
      h(
        "p",
        { class: "hint", id: "disc-hint" },
        "When on, a machine with no armed config boots the discovery image, and its agent reports the hardware.",
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "rem-h" },
      h("h2", { id: "rem-h" }, "Remote instances"),
      form,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "agents-h" },
      h("h2", { id: "agents-h" }, "Agent systems"),
      agents.items.length === 0
        ? h(
            "p",
            {},
            "No Serf or Consul cluster is configured (--serf, --consul). JSON agents report directly.",
          )
        : h(
            "ul",
            {},
            agents.items.map((a) =>
              h(
                "li",
                {},
                h("span", { class: "mono" }, a.id),
                ` reaches ${a.machines} machine${a.machines === 1 ? "" : "s"}`,
              ),
            ),
          ),
    ),
  );
  return { title: "Settings", node };
}
