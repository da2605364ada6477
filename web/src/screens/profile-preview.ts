import { field, h, replace } from "../dom.js";
import { act, type ScreenContext } from "../screen.js";
import { parseVariables } from "../pairs.js";

type Preview = { scripts: Record<string, string>; files: Record<string, string> };

function block(title: string, text: string): HTMLElement {
  return h("div", { class: "preview-block" }, h("h3", {}, title), h("pre", { tabindex: 0 }, text));
}

/**
 * Renders the saved profile against a machine, without arming anything: the iPXE scripts for BIOS and
 * UEFI and every provisioning file, exactly as arming would make them (or the error arming would give).
 */
export function previewPanel(ctx: ScreenContext, profile: string): HTMLElement {
  const { client } = ctx.session;
  const listId = "preview-machines";
  const machine = h("input", {
    type: "text",
    name: "machine",
    list: listId,
    required: true,
    placeholder: "52:54:00:12:34:56",
    spellcheck: "false",
  });
  const options = h("datalist", { id: listId });
  // The first machines as suggestions; any known MAC can be typed.
  client.machines.list({ limit: 200 }).then(
    ({ items }) =>
      replace(
        options,
        items.map((m) => h("option", { value: String(m.id) }, String(m.hostname ?? ""))),
      ),
    () => undefined,
  );
  const variables = h("textarea", { name: "preview-variables", rows: 2, class: "mono", spellcheck: "false" });
  const run = h("button", { type: "submit" }, "Preview");
  const errors = h("div", { class: "errors" });
  const result = h("div", { class: "preview-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "preview" },
    field("Machine", machine, "MAC of a known machine: its facts fill the templates"),
    options,
    field("Variables", variables, "Optional, one NAME=value per line"),
    run,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    result.replaceChildren();
    void act(run, errors, async () => {
      const r = (await client.profiles.preview(
        profile,
        machine.value.trim(),
        parseVariables(variables.value),
      )) as Preview;
      replace(
        result,
        Object.entries(r.scripts).map(([platform, text]) => block(`iPXE script (${platform})`, text)),
        Object.entries(r.files).map(([name, text]) => block(`File ${name}`, text)),
      );
    });
  });
  return h(
    "section",
    { class: "card wide-card", "aria-labelledby": "preview-h" },
    h("h2", { id: "preview-h" }, "Preview against a machine"),
    form,
    errors,
    result,
  );
}
