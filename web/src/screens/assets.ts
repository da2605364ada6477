import type { AssetView } from "../../../src/client/api-client.js";
import { confirmAction } from "../dialog.js";
import { announce, field, h, replace } from "../dom.js";
import { bytes, when } from "../format.js";
import { act, heading, type Screen, type ScreenContext } from "../screen.js";
import { can } from "../session.js";

/**
 * The boot asset cache: each file with its size, source, last use and the configs that boot it, the cache's
 * fill against its cap; operators pre-seed a URL and remove a file no armed config needs.
 */
export async function assetsScreen(ctx: ScreenContext): Promise<Screen> {
  const { client } = ctx.session;
  const operator = can(ctx.session, "operator");
  const errors = h("div", { class: "errors" });
  const usage = h("p", { id: "asset-usage" });
  const tbody = h("tbody", {});

  const load = async () => {
    const r = await client.assets.list();
    const u = r.usage;
    replace(
      usage,
      u.maxBytes === 0
        ? "The asset cache is off (--asset-cache-size 0): machines fetch kernels and initrds from their mirror."
        : `${u.count} file(s), ${bytes(u.bytes)} of ${bytes(u.maxBytes)} used.`,
    );
    replace(
      tbody,
      r.items.length === 0
        ? h(
            "tr",
            {},
            h("td", { colspan: 6 }, "No files cached yet: arming a config fetches its kernel and initrds."),
          )
        : r.items.map((a) => row(a)),
    );
  };

  const row = (a: AssetView) => {
    const remove =
      operator && a.usedBy.length === 0 && h("button", { type: "button", class: "danger small" }, "Remove…");
    if (remove) {
      remove.setAttribute("aria-label", `Remove ${a.name}`);
      remove.addEventListener("click", () =>
        act(remove, errors, async () => {
          const ok = await confirmAction(
            "Remove this file?",
            `${a.name} (${bytes(a.size)}) is deleted from the cache; the next arm that needs it fetches it again.`,
            "Remove file",
          );
          if (!ok) return;
          await client.assets.remove(a.id);
          announce(`${a.name} removed`);
          await load();
        }),
      );
    }
    return h(
      "tr",
      {},
      h("td", { class: "mono" }, h("a", { href: a.url }, a.name)),
      h("td", {}, bytes(a.size)),
      h("td", { class: "mono wide" }, a.source),
      h("td", { class: "wide" }, when(a.lastUsedAt)),
      h("td", {}, a.usedBy.length ? `${a.usedBy.length} config(s)` : "no"),
      h("td", {}, remove || null),
    );
  };
  await load();

  const seed = operator && seedForm(ctx, errors, load);
  const node = h(
    "section",
    {},
    heading("Assets"),
    usage,
    seed,
    errors,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", {}, "Cached boot files"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["File", "Size", "Source", "Last use", "In use"].map((t) =>
              h("th", { scope: "col", class: t === "Source" || t === "Last use" ? "wide" : undefined }, t),
            ),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        tbody,
      ),
    ),
  );
  return { title: "Assets", node };
}

/** Pre-seeding: a URL (and its sha256, if known) fetched into the cache before any arm needs it. */
function seedForm(ctx: ScreenContext, errors: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const url = h("input", { type: "url", name: "url", required: true, maxlength: 2048, class: "mono" });
  const sha = h("input", {
    type: "text",
    name: "sha256",
    maxlength: 64,
    pattern: "[0-9a-fA-F]{64}",
    class: "mono",
  });
  const add = h("button", { type: "submit" }, "Fetch into cache");
  const form = h(
    "form",
    { class: "inline-form" },
    field("File URL", url, "A kernel or initrd on a mirror, fetched once now"),
    field("sha256 (optional)", sha, "Checked before the file is kept"),
    add,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(add, errors, async () => {
      const a = await ctx.session.client.assets.add(url.value.trim(), sha.value.trim() || undefined);
      announce(`${a.name} cached (${bytes(a.size)})`);
      url.value = "";
      sha.value = "";
      await reload();
    });
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "seed-h" },
    h("h2", { id: "seed-h" }, "Pre-seed a file"),
    form,
  );
}
