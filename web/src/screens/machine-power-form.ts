import { field, h } from "../dom.js";
import { act } from "../screen.js";
import type { Session } from "../session.js";
import type { PowerInput, PowerView } from "../api.js";
import { DRIVER_WORDS } from "./power-words.js";

type Driver = PowerView["driver"];

/** Where each driver's address points, and its default port, as the hint under the address field. */
const ADDRESS_HINTS: Record<Driver, string> = {
  ipmi: "The BMC's host[:port] (IPMI over LAN, port 623 by default), e.g. 10.0.9.21",
  redfish: "The BMC's host[:port] (HTTPS, port 443 by default), e.g. bmc-r1-07.example",
  wol: "Where the magic packet goes: a broadcast address[:port]. Empty: 255.255.255.255:9",
};

/**
 * The admin's form for a machine's power control: the driver, then only the fields that driver reads. The
 * password is never filled in (the server never sends it back); left empty it keeps the stored one while
 * driver, address, user and the pinned fingerprint stay the same, as the API does. `saved` gets the new view.
 */
export function powerForm(
  session: Session,
  machine: string,
  current: PowerView | null,
  saved: (view: PowerView) => void,
): HTMLFormElement {
  const { client } = session;
  const errors = h("div", { class: "errors" });
  const driver = h(
    "select",
    { name: "driver" },
    (Object.keys(DRIVER_WORDS) as Driver[]).map((d) => h("option", { value: d }, DRIVER_WORDS[d])),
  );
  driver.value = current?.driver ?? "ipmi";
  const text = (name: string, value: string | number | undefined, more: Record<string, string> = {}) =>
    h("input", { type: "text", name, value: value ?? "", spellcheck: "false", autocomplete: "off", ...more });
  const address = text("address", current?.address);
  const username = text("username", current?.username);
  // Never prefilled; "new-password" keeps the browser from offering the UI's own sign-in secrets here.
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password" });
  const cipherSuite = h("input", {
    type: "number",
    name: "cipherSuite",
    min: 0,
    max: 17,
    placeholder: "3",
    value: current?.cipherSuite,
  });
  const bootMode = h(
    "select",
    { name: "bootMode" },
    h("option", { value: "" }, "As its last network boot showed"),
    h("option", { value: "uefi" }, "UEFI"),
    h("option", { value: "legacy" }, "Legacy BIOS"),
  );
  bootMode.value = current?.bootMode ?? "";
  const tlsFingerprint = text("tlsFingerprint", current?.tlsFingerprint, { class: "mono" });
  const systemId = text("systemId", current?.systemId);

  const addressField = field("Address", address, ADDRESS_HINTS[driver.value as Driver]);
  const passwordHint = current?.hasPassword
    ? "A password is stored: leave this empty to keep it (only while driver, address and user stay the same)."
    : "Sent to the BMC only; stored encrypted, never shown again.";
  // Which fields each driver reads: the others are hidden and not sent.
  const fields: [HTMLElement, Driver[]][] = [
    [field("User", username), ["ipmi", "redfish"]],
    [field("Password", password, passwordHint), ["ipmi", "redfish"]],
    [field("Cipher suite", cipherSuite, "IPMI lanplus cipher suite, 0-17; empty means 3"), ["ipmi"]],
    [field("Boot mode", bootMode, "The firmware “Network boot once” asks for"), ["ipmi", "redfish"]],
    [
      field(
        "TLS fingerprint",
        tlsFingerprint,
        "SHA-256 of the BMC's self-signed certificate (64 hex digits, colons allowed); empty: it must verify against the system's CAs",
      ),
      ["redfish"],
    ],
    [
      field("System id", systemId, "The ComputerSystem under /redfish/v1/Systems/; empty: the only one"),
      ["redfish"],
    ],
  ];
  const show = () => {
    const d = driver.value as Driver;
    for (const [el, drivers] of fields) el.hidden = !drivers.includes(d);
    const hint = addressField.querySelector(".hint");
    if (hint) hint.textContent = ADDRESS_HINTS[d];
    address.required = d !== "wol";
  };
  driver.addEventListener("change", show);
  show();

  const save = h("button", { type: "submit" }, "Save power control");
  const form = h(
    "form",
    { class: "power-form" },
    field("Driver", driver),
    addressField,
    fields.map(([el]) => el),
    h("div", { class: "row-actions" }, save),
    errors,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void act(save, errors, async () => {
      const d = driver.value as Driver;
      const uses = (el: HTMLElement) => fields.find(([f]) => f.contains(el))?.[1].includes(d) ?? true;
      const value = (el: HTMLInputElement | HTMLSelectElement) => (uses(el) ? el.value.trim() : "");
      const input: PowerInput = { driver: d };
      if (address.value.trim()) input.address = address.value.trim();
      if (value(username)) input.username = value(username);
      // The password as typed: spaces are allowed in it.
      if (uses(password) && password.value) input.password = password.value;
      if (value(cipherSuite)) input.cipherSuite = Number(cipherSuite.value);
      if (value(bootMode)) input.bootMode = value(bootMode) as PowerInput["bootMode"];
      if (value(tlsFingerprint)) input.tlsFingerprint = value(tlsFingerprint);
      if (value(systemId)) input.systemId = value(systemId);
      const view = await client.power.set(machine, input);
      password.value = "";
      saved(view);
    });
  });
  return form;
}
