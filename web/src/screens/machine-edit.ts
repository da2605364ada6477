import type { Json } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, field, h, replace } from "../dom.js";
import { navigate } from "../router.js";
import { act } from "../screen.js";
import type { Session } from "../session.js";
import { parseVariables } from "../pairs.js";

/**
 * Host name and labels (what templates and filters use), and forgetting the machine. Folded away by
 * default: they change less often than a machine is provisioned.
 */
export function machineEdit(
  session: Session,
  machine: Json & { id: string; hostname?: string; labels?: Record<string, string> },
  holding: boolean,
): HTMLElement {
  const { client } = session;
  const errors = h("div", { class: "errors" });
  const saved = h("div", {});
  const hostname = h("input", {
    type: "text",
    name: "hostname",
    value: machine.hostname ?? "",
    spellcheck: "false",
  });
  const labels = h("textarea", { name: "labels", rows: 3, class: "mono", spellcheck: "false" });
  labels.value = Object.entries(machine.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
  const save = h("button", { type: "submit" }, "Save");
  const form = h(
    "form",
    {},
    field("Host name", hostname, "Empty to remove it"),
    field("Labels", labels, "One key=value per line, e.g. rack=r1"),
    h("div", { class: "row-actions" }, save),
    saved,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saved.replaceChildren();
    void act(save, errors, async () => {
      await client.machines.update(machine.id, {
        hostname: hostname.value.trim() || null,
        labels: parseVariables(labels.value, "labels"),
      });
      replace(saved, h("p", { class: "ok", role: "status" }, "Saved."));
    });
  });

  const forget = h("button", { type: "button", class: "danger" }, "Forget machine…");
  forget.addEventListener("click", () =>
    act(forget, errors, async () => {
      const ok = await confirmAction(
        "Forget this machine?",
        `Enforcer forgets ${machine.hostname ?? machine.id} (its history stays). If it boots again it is met as new.`,
        "Forget machine",
      );
      if (!ok) return;
      await client.machines.forget(machine.id);
      announce(`Forgot ${machine.hostname ?? machine.id}`);
      navigate("/machines");
    }),
  );

  return h(
    "details",
    { class: "edit" },
    h("summary", {}, "Host name, labels, forget"),
    form,
    h(
      "div",
      { class: "row-actions" },
      forget,
      holding &&
        h("p", { class: "hint" }, "A machine with an armed config cannot be forgotten: cancel it first."),
    ),
    errors,
  );
}
