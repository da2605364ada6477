// The built server on the official Node build for 32-bit Raspberry Pi OS (armv7l, armhf), under qemu-user (docs/platforms.md).
import { ARMV7L } from "../support/arm-node.js";
import { armSmoke } from "../support/arm-smoke.js";

armSmoke(ARMV7L);
