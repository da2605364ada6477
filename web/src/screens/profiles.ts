import type { Json } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, field, h, replace } from "../dom.js";
import { navigate } from "../router.js";
import { act, heading, type Screen, type ScreenContext } from "../screen.js";
import { can } from "../session.js";
import { parseVariables } from "../pairs.js";
import { previewPanel } from "./profile-preview.js";

const FAMILIES = ["debian", "ubuntu", "rhel", "fedora-coreos", "flatcar", "alpine", "custom", "ipxe"];

/** The profile list. */
export async function profilesScreen(ctx: ScreenContext): Promise<Screen> {
  const { items } = await ctx.session.client.profiles.list();
  const rows = items.map((p) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/profiles/${encodeURIComponent(String(p.name))}` }, String(p.name))),
      h("td", {}, String(p.family)),
      h("td", { class: "wide mono" }, String(p.location ?? p.kernel ?? "—")),
    ),
  );
  const node = h(
    "section",
    {},
    heading("Profiles"),
    can(ctx.session, "operator") &&
      h("p", {}, h("a", { href: "#/profiles/new", class: "button" }, "New profile")),
    items.length === 0
      ? h(
          "p",
          {},
          "No profiles yet. A profile names an OS family, where its files are, and a provisioning file.",
        )
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("caption", { class: "visually-hidden" }, "Profiles"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Name"),
                h("th", { scope: "col" }, "Family"),
                h("th", { scope: "col", class: "wide" }, "Location"),
              ),
            ),
            h("tbody", {}, rows),
          ),
        ),
  );
  return { title: "Profiles", node };
}

/** Which families use a field; fields not listed here are for every family. */
const FIELD_FAMILIES: Record<string, string[]> = {
  location: ["debian", "ubuntu", "rhel", "fedora-coreos", "flatcar", "alpine"],
  image: ["ubuntu"],
  kernel: ["custom"],
  initrds: ["custom"],
  cmdline: ["custom"],
  ipxe: ["ipxe"],
  extraArgs: FAMILIES.filter((f) => f !== "ipxe"),
  console: FAMILIES.filter((f) => f !== "ipxe"),
};

/** Shows only the fields the chosen family uses (the API refuses a field the family cannot use). */
function showFieldsFor(form: HTMLFormElement, family: string): void {
  for (const [name, families] of Object.entries(FIELD_FAMILIES)) {
    const wrap = form.querySelector(`[name="${name}"]`)?.closest<HTMLElement>(".field");
    if (wrap) wrap.hidden = !families.includes(family);
  }
}

/** The profile's fields as the API wants them: empty and hidden inputs are left out. */
function bodyFrom(form: HTMLFormElement): Json {
  const data = new FormData(form);
  const family = String(data.get("family"));
  for (const [name, families] of Object.entries(FIELD_FAMILIES))
    if (!families.includes(family)) data.delete(name);
  const text = (k: string) => String(data.get(k) ?? "").trim();
  const body: Json = { name: text("name"), family: text("family") };
  for (const k of ["location", "image", "kernel", "cmdline", "extraArgs", "console"])
    if (text(k)) body[k] = text(k);
  for (const k of ["provisioning", "ipxe"])
    if (String(data.get(k) ?? "").trim()) body[k] = String(data.get(k));
  const initrds = text("initrds")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  if (initrds.length) body.initrds = initrds;
  const vars = parseVariables(String(data.get("variables") ?? ""));
  if (Object.keys(vars).length) body.variables = vars;
  return body;
}

/** Create or edit one profile, with a preview rendered against a chosen machine. */
export async function profileScreen(ctx: ScreenContext): Promise<Screen> {
  const { client } = ctx.session;
  const isNew = ctx.params[0] === "new";
  const p = isNew ? ({} as Json) : await client.profiles.get(ctx.params[0]!);
  const readOnly = !can(ctx.session, "operator");
  const val = (k: string) => (p[k] === undefined ? "" : String(p[k]));
  const input = (name: string, extra: Record<string, string | boolean> = {}) =>
    h("input", { name, value: val(name), type: "text", spellcheck: "false", readonly: readOnly, ...extra });
  const area = (name: string, value: string, rows: number) => {
    const a = h("textarea", { name, rows, class: "mono", spellcheck: "false", readonly: readOnly });
    a.value = value;
    return a;
  };
  const family = h(
    "select",
    { name: "family", disabled: readOnly },
    FAMILIES.map((f) => h("option", { value: f }, f)),
  );
  family.value = val("family") || "debian";
  const errors = h("div", { class: "errors" });
  const save = h("button", { type: "submit" }, isNew ? "Create profile" : "Save changes");
  const vars = Object.entries((p.variables as Record<string, string>) ?? {}).map(([k, v]) => `${k}=${v}`);
  const form = h(
    "form",
    { class: "profile-form" },
    field(
      "Name",
      input("name", { required: true, readonly: readOnly || !isNew }),
      "Lower case letters, digits, . _ -",
    ),
    field("OS family", family),
    field(
      "Location",
      input("location", { type: "url" }),
      "Where the installer's files are (http, https or tftp URL)",
    ),
    field("Image", input("image"), "Ubuntu: the live-server ISO URL"),
    field("Kernel", input("kernel"), "custom family: the kernel URL"),
    field(
      "Initrds",
      area("initrds", ((p.initrds as string[]) ?? []).join("\n"), 2),
      "custom family: one URL per line",
    ),
    field("Kernel command line", input("cmdline"), "custom family"),
    field("Extra kernel arguments", input("extraArgs")),
    field("Serial console", input("console", { placeholder: "ttyS0,115200n8" })),
    field(
      "Provisioning file",
      area("provisioning", val("provisioning"), 12),
      "Preseed, kickstart, user-data, Ignition or script; Liquid: {{ hostname }}, {{ facts.cpu.count }}",
    ),
    field("iPXE script", area("ipxe", val("ipxe"), 6), "ipxe family only"),
    field("Variables", area("variables", vars.join("\n"), 3), "Defaults, one NAME=value per line"),
    !readOnly && h("div", { class: "row-actions" }, save),
    errors,
  );
  showFieldsFor(form, family.value);
  family.addEventListener("change", () => showFieldsFor(form, family.value));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(save, errors, async () => {
      const body = bodyFrom(form);
      // The form has no field for the files' checksums (docs/assets.md): a save keeps the profile's own.
      if (p.checksums) body.checksums = p.checksums;
      if (isNew) await client.profiles.create(body);
      else await client.profiles.replace(String(p.name), body);
      announce(`Profile ${String(body.name)} saved`);
      if (isNew) navigate(`/profiles/${encodeURIComponent(String(body.name))}`);
      else replace(errors, h("p", { class: "ok", role: "status" }, "Saved."));
    });
  });
  const remove = h("button", { type: "button", class: "danger" }, "Delete profile…");
  remove.addEventListener("click", () =>
    act(remove, errors, async () => {
      const ok = await confirmAction(
        "Delete this profile?",
        `Profile ${String(p.name)} will be deleted. Configs made from it keep what was rendered.`,
        "Delete profile",
      );
      if (!ok) return;
      await client.profiles.remove(String(p.name));
      announce(`Profile ${String(p.name)} deleted`);
      navigate("/profiles");
    }),
  );
  const title = isNew ? "New profile" : `Profile ${String(p.name)}`;
  const node = h(
    "section",
    { class: "profile-screen" },
    h(
      "p",
      { class: "crumbs" },
      h("a", { href: "#/profiles" }, "Profiles"),
      " / ",
      isNew ? "new" : String(p.name),
    ),
    heading(title),
    h(
      "div",
      { class: "profile-layout" },
      h("div", {}, form, !isNew && !readOnly && h("div", { class: "row-actions" }, remove)),
      isNew
        ? h("p", { class: "hint" }, "Save the profile to preview it against a machine.")
        : previewPanel(ctx, String(p.name)),
    ),
  );
  return { title, node };
}
