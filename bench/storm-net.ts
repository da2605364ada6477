// The storm's layer 2: a server namespace and a client namespace joined by a veth pair (test support's
// pair), with every machine's address on the client side so that TFTP and HTTP come from many sources.
import { execFile } from "node:child_process";
import { createNetnsPair, type NetnsPair } from "../test/support/netns-pair.js";
import { NET, type StormPlan } from "./storm-plan.js";

/**
 * Makes the pair with the server on NET.cidr and the plan's source addresses on the client's veth (`ip -batch`: one
 * process for all of them). The caller removes it in its `finally`; on a failure here it is removed before the throw.
 */
export async function stormNet(plan: StormPlan): Promise<NetnsPair> {
  const pair = await createNetnsPair("st", NET.cidr);
  try {
    const addresses = [...new Set(plan.machines.map((m) => m.address))];
    const lines = addresses.map((a) => `addr add ${a}/${NET.prefix} dev ${pair.clientIf}`);
    // A limited broadcast needs a route in the client namespace too (it has no default route).
    lines.push(`route add 255.255.255.255/32 dev ${pair.clientIf}`, "link set lo up");
    await new Promise<void>((res, rej) => {
      const p = execFile("ip", ["-n", pair.clientNs, "-batch", "-"], (err) => (err ? rej(err) : res()));
      p.stdin!.end(`${lines.join("\n")}\n`);
    });
  } catch (err) {
    await pair.remove();
    throw err;
  }
  return pair;
}
