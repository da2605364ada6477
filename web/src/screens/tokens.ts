import type { Json } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, field, h, replace } from "../dom.js";
import { when } from "../format.js";
import { act, heading, type Screen, type ScreenContext } from "../screen.js";

/** API tokens (admins only): list, create (the secret is shown once), revoke. */
export async function tokensScreen(ctx: ScreenContext): Promise<Screen> {
  const { client } = ctx.session;
  const errors = h("div", { class: "errors" });
  const tbody = h("tbody", {});
  const created = h("div", {});

  const load = async () => {
    const { items } = await client.tokens.list();
    replace(
      tbody,
      items.map((t: Json) => {
        const revoke = h("button", { type: "button", class: "danger small" }, "Revoke…");
        revoke.setAttribute("aria-label", `Revoke token ${String(t.name)}`);
        revoke.addEventListener("click", () =>
          act(revoke, errors, async () => {
            const ok = await confirmAction(
              "Revoke this token?",
              `Token ${String(t.name)} (${String(t.role)}) stops working at once, for every program that uses it.`,
              "Revoke token",
            );
            if (!ok) return;
            await client.tokens.revoke(String(t.id));
            announce(`Token ${String(t.name)} revoked`);
            await load();
          }),
        );
        return h(
          "tr",
          {},
          h("td", {}, String(t.name)),
          h("td", {}, String(t.role)),
          h("td", { class: "wide" }, when(t.createdAt as string)),
          h("td", {}, revoke),
        );
      }),
    );
  };
  await load();

  const name = h("input", { type: "text", name: "name", required: true, maxlength: 64 });
  const role = h(
    "select",
    { name: "role" },
    ["viewer", "operator", "admin", "agent"].map((r) => h("option", { value: r }, r)),
  );
  const create = h("button", { type: "submit" }, "Create token");
  const form = h(
    "form",
    { class: "inline-form" },
    field("Name", name, "Who or what uses it, e.g. ci-pipeline"),
    field(
      "Role",
      role,
      "viewer reads; operator also arms and reboots; admin also manages tokens; agent reports",
    ),
    create,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(create, errors, async () => {
      const t = await client.tokens.create(name.value.trim(), role.value);
      const secret = h("input", {
        type: "text",
        readonly: true,
        value: t.token,
        class: "mono",
        id: "new-token",
      });
      replace(
        created,
        h(
          "div",
          { class: "notice", role: "status" },
          h("p", {}, `Token ${String(t.name)} created. Copy it now: it is not shown again.`),
          field("New token", secret),
        ),
      );
      name.value = "";
      secret.focus();
      secret.select();
      await load();
    });
  });

  const node = h(
    "section",
    {},
    heading("Tokens"),
    h(
      "section",
      { class: "card", "aria-labelledby": "new-h" },
      h("h2", { id: "new-h" }, "New token"),
      form,
      created,
    ),
    errors,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", {}, "Tokens in use"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Name"),
            h("th", { scope: "col" }, "Role"),
            h("th", { scope: "col", class: "wide" }, "Created"),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        tbody,
      ),
    ),
  );
  return { title: "Tokens", node };
}
