// The built server on the official Node build for 64-bit Raspberry Pi OS (aarch64), under qemu-user (docs/platforms.md).
import { ARM64 } from "../support/arm-node.js";
import { armSmoke } from "../support/arm-smoke.js";

armSmoke(ARM64);
