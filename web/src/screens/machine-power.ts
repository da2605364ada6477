import type { PowerAction, PowerView } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, h, replace, type Child } from "../dom.js";
import { when } from "../format.js";
import { act } from "../screen.js";
import { can, type Session } from "../session.js";
import { powerForm } from "./machine-power-form.js";
import {
  ACTION_BUTTONS,
  ACTION_DONE,
  actionQuestion,
  DRIVER_ACTIONS,
  DRIVER_WORDS,
  STATE_WORDS,
} from "./power-words.js";

/** The power panel of the machine screen; `update` draws the machine's power as it re-reads the machine. */
export interface PowerPanel {
  node: HTMLElement;
  update: (view: PowerView | null) => void;
}

/** Off and cycle stop what runs on the machine: they look like the other actions that cannot be undone. */
const BUTTON_CLASS: Partial<Record<PowerAction, string>> = {
  off: "danger",
  cycle: "danger",
  status: "secondary",
};

function pairs(rows: [string, string | number | undefined][]): HTMLElement {
  return h(
    "dl",
    { class: "pairs" },
    rows
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]),
  );
}

/** The last observed state, when it was seen, and the BMC's last error (shown as state, not as an alert). */
function stateView(v: PowerView): Child[] {
  const s = v.state;
  const seen =
    v.driver === "wol"
      ? " Wake-on-LAN cannot tell whether a machine is on."
      : s.at
        ? [" Seen ", h("time", { datetime: s.at }, when(s.at)), "."]
        : " Not asked yet.";
  return [
    h(
      "p",
      { class: "state-line" },
      "Power: ",
      h("span", { class: `badge power-${s.state}` }, STATE_WORDS[s.state] ?? s.state),
      seen,
    ),
    // One line, not a box: the state's error stays until the BMC answers well, an action's alert is new.
    s.error &&
      h(
        "p",
        { class: "power-error" },
        h("strong", {}, "Last error: "),
        s.error.message,
        " ",
        h("code", {}, s.error.code),
      ),
  ];
}

function settings(v: PowerView): HTMLElement {
  return pairs([
    ["Driver", DRIVER_WORDS[v.driver] ?? v.driver],
    ["Address", v.address],
    ["User", v.username],
    ["Password", v.driver === "wol" ? undefined : v.hasPassword ? "stored (encrypted)" : "none"],
    ["Cipher suite", v.cipherSuite],
    ["Boot mode", v.bootMode === "uefi" ? "UEFI" : v.bootMode === "legacy" ? "Legacy BIOS" : undefined],
    ["TLS fingerprint", v.tlsFingerprint],
    ["System id", v.systemId],
    ["Changed", when(v.updatedAt)],
  ]);
}

/**
 * A machine's power control: its settings and last observed state for everyone; buttons for the actions its
 * driver can do for operators, each after a question saying what happens to the machine; the form to set,
 * change or remove it for admins. The server checks the same roles; the UI only avoids offering the rest.
 */
export function powerPanel(
  session: Session,
  machine: { id: string; hostname?: string },
  initial: PowerView | null,
): PowerPanel {
  const { client } = session;
  const who = machine.hostname ? `${machine.hostname} (${machine.id})` : machine.id;
  const view = h("div", {});
  const buttons = h("div", {});
  const answer = h("div", {});
  const errors = h("div", { class: "errors" });
  const admin = h("div", {});
  let current: PowerView | null = null;
  let buttonsKey: string | undefined;
  let formKey: string | undefined;

  const run = async (action: PowerAction, button: HTMLButtonElement) => {
    answer.replaceChildren();
    await act(button, errors, async () => {
      if (!current) return;
      if (action !== "status") {
        const q = actionQuestion(action, who, current);
        if (!(await confirmAction(q.title, q.body, q.button))) return;
      }
      const out = await client.power.act(machine.id, action);
      const state = out.state && out.state !== "unknown" ? ` Power is ${out.state}.` : "";
      replace(
        answer,
        h(
          "p",
          { class: "ok", role: "status" },
          `${ACTION_DONE[action]}: ${out.detail.replace(/\.$/, "")}.${state}`,
        ),
      );
      announce(`${ACTION_DONE[action]} for ${who}`);
    });
  };

  const remove = h("button", { type: "button", class: "danger" }, "Remove power control…");
  remove.addEventListener("click", () =>
    act(remove, errors, async () => {
      const ok = await confirmAction(
        `Remove power control of ${who}?`,
        "Enforcer forgets how to reach this machine's BMC and deletes the stored password. The machine's power is not changed.",
        "Remove power control",
      );
      if (!ok) return;
      await client.power.remove(machine.id);
      announce(`Power control removed for ${who}`);
      draw(null);
    }),
  );

  const saved = (v: PowerView) => {
    draw(v);
    replace(answer, h("p", { class: "ok", role: "status" }, "Power control saved."));
  };

  function draw(v: PowerView | null): void {
    current = v;
    if (v) replace(view, stateView(v), settings(v));
    else
      replace(
        view,
        h(
          "p",
          {},
          "No power control: Enforcer cannot switch this machine on or off, only an agent can reboot it.",
        ),
        !can(session, "admin") && h("p", { class: "hint" }, "An admin can set it up here."),
      );
    // Buttons and form are redrawn only when what they offer changes, never under someone's typing or click.
    const bk = v?.driver ?? "";
    if (can(session, "operator") && bk !== buttonsKey) {
      buttonsKey = bk;
      replace(
        buttons,
        v &&
          h(
            "div",
            { class: "row-actions", role: "group", "aria-label": "Power actions" },
            DRIVER_ACTIONS[v.driver].map((a) => {
              const b = h("button", { type: "button", class: BUTTON_CLASS[a] }, ACTION_BUTTONS[a]);
              b.addEventListener("click", () => void run(a, b));
              return b;
            }),
          ),
      );
    }
    const fk = v?.updatedAt ?? "";
    if (can(session, "admin") && fk !== formKey) {
      formKey = fk;
      replace(
        admin,
        v
          ? h(
              "details",
              { class: "edit" },
              h("summary", {}, "Change or remove power control"),
              powerForm(session, machine.id, v, saved),
              h("div", { class: "row-actions" }, remove),
            )
          : [h("h3", {}, "Set up power control"), powerForm(session, machine.id, null, saved)],
      );
    }
  }

  draw(initial);

  const node = h(
    "section",
    { class: "card wide-card", "aria-labelledby": "power-h" },
    h("h2", { id: "power-h" }, "Power"),
    view,
    buttons,
    answer,
    errors,
    admin,
  );
  return { node, update: draw };
}
