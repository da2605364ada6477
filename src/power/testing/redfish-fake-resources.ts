/**
 * The resources and messages of the Redfish contract fake, shaped as DMTF's schemas say (ServiceRoot
 * v1_15, ComputerSystem v1_20, Session v1_6, the Base message registry 1.16, DSP0266 "Error responses").
 */

/** Every ResetType of DMTF's Resource schema (ResetType enum) a ComputerSystem may take. */
export const ALL_RESET_TYPES = [
  "On",
  "ForceOff",
  "GracefulShutdown",
  "GracefulRestart",
  "ForceRestart",
  "Nmi",
  "ForceOn",
  "PushPowerButton",
  "PowerCycle",
] as const;

/** One simulated ComputerSystem: what the fake shows and what was done to it. */
export interface FakeSystem {
  id: string;
  powerState: "On" | "Off";
  boot: {
    BootSourceOverrideTarget: string;
    BootSourceOverrideEnabled: string;
    BootSourceOverrideMode: string;
  };
  /** Bumped by every change: the ETag is `W/"<version>"`. */
  version: number;
  /** Every ResetType accepted, in order. */
  resets: string[];
}

/** The Boot override values the fake lists (ComputerSystem.v1_20 BootSource, a common subset). */
export const BOOT_TARGETS = ["None", "Pxe", "Hdd", "Cd", "BiosSetup", "UefiShell", "UefiHttp"];

/** How the fake presents its systems. */
export interface ResourceStyle {
  resetTypes: readonly string[];
  listResetTypes: boolean;
  bootModes: readonly string[];
  sessions: boolean;
}

/** The service root (readable without credentials). */
export function serviceRoot(style: ResourceStyle): Record<string, unknown> {
  return {
    "@odata.type": "#ServiceRoot.v1_15_0.ServiceRoot",
    "@odata.id": "/redfish/v1/",
    Id: "RootService",
    Name: "Root Service",
    RedfishVersion: "1.17.0",
    UUID: "92384634-2938-2342-8820-489239905423",
    Systems: { "@odata.id": "/redfish/v1/Systems" },
    ...(style.sessions
      ? {
          SessionService: { "@odata.id": "/redfish/v1/SessionService" },
          Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } },
        }
      : { Links: {} }),
  };
}

/** The Systems collection. */
export function systemCollection(systems: readonly FakeSystem[]): Record<string, unknown> {
  return {
    "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection",
    "@odata.id": "/redfish/v1/Systems",
    Name: "Computer System Collection",
    "Members@odata.count": systems.length,
    Members: systems.map((s) => ({ "@odata.id": `/redfish/v1/Systems/${s.id}` })),
  };
}

/** The ETag of a system's current version (weak, like most BMCs'). */
export function etagOf(s: FakeSystem): string {
  return `W/"${s.version}"`;
}

/** A ComputerSystem: PowerState, Boot with its allowable values, the Reset action. */
export function computerSystem(s: FakeSystem, style: ResourceStyle): Record<string, unknown> {
  const uri = `/redfish/v1/Systems/${s.id}`;
  return {
    "@odata.type": "#ComputerSystem.v1_20_0.ComputerSystem",
    "@odata.id": uri,
    "@odata.etag": etagOf(s),
    Id: s.id,
    Name: `System ${s.id}`,
    SystemType: "Physical",
    Manufacturer: "Contract Fake",
    PowerState: s.powerState,
    Status: { State: "Enabled", Health: "OK" },
    Boot: {
      ...s.boot,
      "BootSourceOverrideTarget@Redfish.AllowableValues": BOOT_TARGETS,
      "BootSourceOverrideEnabled@Redfish.AllowableValues": ["Disabled", "Once", "Continuous"],
      ...(style.bootModes.length > 0
        ? { "BootSourceOverrideMode@Redfish.AllowableValues": style.bootModes }
        : {}),
    },
    Actions: {
      "#ComputerSystem.Reset": {
        target: `${uri}/Actions/ComputerSystem.Reset`,
        ...(style.listResetTypes ? { "ResetType@Redfish.AllowableValues": style.resetTypes } : {}),
      },
    },
  };
}

/** A Session resource. */
export function sessionResource(id: string, user: string): Record<string, unknown> {
  return {
    "@odata.type": "#Session.v1_6_0.Session",
    "@odata.id": `/redfish/v1/SessionService/Sessions/${id}`,
    Id: id,
    Name: "User Session",
    UserName: user,
  };
}

/** A DSP0266 error body with one Base registry message. */
export function redfishError(id: string, message: string, args: string[] = []): Record<string, unknown> {
  const messageId = `Base.1.16.${id}`;
  return {
    error: {
      code: messageId,
      message,
      "@Message.ExtendedInfo": [
        {
          "@odata.type": "#Message.v1_1_1.Message",
          MessageId: messageId,
          Message: message,
          MessageArgs: args,
          MessageSeverity: "Warning",
          Resolution: "See the Base registry.",
        },
      ],
    },
  };
}
