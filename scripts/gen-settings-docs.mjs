// npm run docs:settings: writes docs/settings.md from the settings schema (src/config/settings-docs.ts).
import { writeFileSync } from "node:fs";
import { settingsDoc } from "../dist/src/config/settings-docs.js";
writeFileSync("docs/settings.md", settingsDoc());
