import type { IncomingMessage, ServerResponse } from "node:http";
import { etagOf, redfishError, type FakeSystem } from "./redfish-fake-resources.js";

/** What the contract fake's actions need of its options. */
export interface ActionOptions {
  username: string;
  resetTypes: readonly string[];
  bootModes: readonly string[];
  requireIfMatch: boolean;
  echoCredentials: boolean;
}

/** Sends one JSON answer. */
export type Send = (status: number, json?: unknown, headers?: Record<string, string>) => void;

/** POST ComputerSystem.Reset: refuses a ResetType it does not take (400) and a restart of an off machine (409). */
export function sendReset(system: FakeSystem, body: unknown, o: ActionOptions, send: Send): void {
  const type = (body as { ResetType?: unknown } | undefined)?.ResetType;
  if (typeof type !== "string")
    return send(
      400,
      redfishError(
        "ActionParameterMissing",
        "The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.",
        ["ComputerSystem.Reset", "ResetType"],
      ),
    );
  if (!o.resetTypes.includes(type))
    return send(
      400,
      redfishError(
        "ActionParameterNotSupported",
        `The parameter ResetType for the action ComputerSystem.Reset is not supported on the target resource (${type}).`,
        ["ResetType", "ComputerSystem.Reset"],
      ),
    );
  const restart = ["ForceRestart", "GracefulRestart", "PowerCycle"].includes(type);
  if (restart && system.powerState === "Off")
    return send(
      409,
      redfishError(
        "ChassisPowerStateOnRequired",
        `The Chassis with Id '${system.id}' requires to be powered on to perform this request.`,
        [system.id],
      ),
    );
  system.resets.push(type);
  if (["On", "ForceOn"].includes(type) || restart) system.powerState = "On";
  if (["ForceOff", "GracefulShutdown"].includes(type)) system.powerState = "Off";
  system.version++;
  send(204);
}

/** PATCH of a ComputerSystem's Boot: the properties and values it lists only, If-Match when required. */
export function patchBoot(
  system: FakeSystem,
  body: unknown,
  req: IncomingMessage,
  o: ActionOptions,
  send: Send,
): void {
  const ifMatch = req.headers["if-match"];
  if (o.requireIfMatch && ifMatch === undefined)
    return send(
      428,
      redfishError(
        "PreconditionRequired",
        "A precondition header or annotation is required to change this resource.",
      ),
    );
  if (ifMatch !== undefined && ifMatch !== etagOf(system) && ifMatch !== "*")
    return send(
      412,
      redfishError(
        "PreconditionFailed",
        "The ETag supplied did not match the ETag required to change this resource.",
      ),
    );
  const boot = (body as { Boot?: Record<string, unknown> } | undefined)?.Boot;
  if (typeof boot !== "object" || boot === null)
    return send(
      400,
      redfishError(
        "MalformedJSON",
        "The request body submitted was malformed JSON and could not be parsed by the receiving service.",
      ),
    );
  const allowed: Record<string, readonly string[]> = {
    BootSourceOverrideTarget: ["None", "Pxe", "Hdd", "Cd", "BiosSetup", "UefiShell", "UefiHttp"],
    BootSourceOverrideEnabled: ["Disabled", "Once", "Continuous"],
    ...(o.bootModes.length > 0 ? { BootSourceOverrideMode: o.bootModes } : {}),
  };
  for (const [k, v] of Object.entries(boot)) {
    const values = allowed[k];
    if (values === undefined)
      return send(
        400,
        redfishError(
          "PropertyUnknown",
          `The property ${k} is not in the list of valid properties for the resource.`,
          [k],
        ),
      );
    if (typeof v !== "string" || !values.includes(v))
      return send(
        400,
        redfishError(
          "PropertyValueNotInList",
          `The value '${String(v)}' for the property ${k} is not in the list of acceptable values.`,
          [String(v), k],
        ),
      );
  }
  Object.assign(system.boot, boot);
  system.version++;
  send(204);
}

/** The 401 body; a careless BMC's repeats what it was sent. */
export function loginRefused(
  o: ActionOptions,
  b: { UserName?: unknown; Password?: unknown } | undefined,
  req: IncomingMessage,
): unknown {
  const echo = o.echoCredentials
    ? ` (user ${String(b?.UserName ?? "")}, password ${String(b?.Password ?? "")}, header ${String(req.headers.authorization ?? "")})`
    : "";
  return redfishError(
    "NoValidSession",
    `There is no valid session established with the implementation.${echo}`,
  );
}

/** Writes an endless JSON array, respecting back-pressure, until the client goes away. */
export function streamForever(res: ServerResponse, count: (n: number) => void): void {
  res.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.from(`${'{"PowerState":"On"},'.repeat(3276)}`);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) count(chunk.length);
    if (!res.destroyed) res.once("drain", pump);
  };
  res.write("[");
  pump();
}
