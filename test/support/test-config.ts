import assert from "node:assert/strict";
import type { EnforcerProcess } from "./enforcer-process.js";

/**
 * Creates a `custom` profile booting the test kernel and initrd from `fileBase` (an http:// or tftp:// URL
 * prefix as the guest sees it), and a config for `mac` from it, armed. The kernel command line names the
 * config's completion URL, which the test initrd calls. Answers the config id.
 */
export async function armTestLinux(
  enf: Pick<EnforcerProcess, "api">,
  mac: string,
  name: string,
  fileBase: string,
): Promise<string> {
  const profile = {
    name,
    family: "custom",
    kernel: `${fileBase}/vmlinuz`,
    initrds: [`${fileBase}/initrd.gz`],
    cmdline: "console=ttyS0 panic=-1 enforcer.done={{complete_url}}",
  };
  assert.equal((await enf.api("POST", "/profiles", profile)).status, 201);
  const created = await enf.api<{ id: string }>("POST", "/configs", { machine: mac, profile: name });
  assert.equal(created.status, 201);
  const armed = await enf.api<{ state: string }>("POST", `/configs/${created.body.id}/arm`);
  assert.equal(armed.body.state, "armed");
  return created.body.id;
}
