import { ERROR_CODES } from "../dist/src/domain/errors.js";
import { statusFor } from "../dist/src/http/errors.js";
let out = `# Error codes

Every error Enforcer reports carries one of these stable codes. Over HTTP the body is
\`{"code": "...", "message": "...", "details": {...}}\` with the status below; on the command line the code
is printed in brackets after the message. Codes never change meaning; new ones may be added.

| code | HTTP | meaning |
|---|---|---|
`;
for (const [code, meaning] of Object.entries(ERROR_CODES))
  out += `| \`${code}\` | ${code.startsWith("ENF_ERR_SETTINGS_") ? "start-up" : statusFor(code)} | ${meaning} |\n`;
out += `
Notes:

- \`ENF_ERR_BOOT_NO_SCRIPT\` is the normal "not me" answer of the boot endpoints: iPXE's \`chain\` fails on any
  non-2xx status and the general script moves on to the next source.
- \`ENF_ERR_SETTINGS_INVALID\` and \`ENF_ERR_SETTINGS_FILE\` are start-up errors: \`enforcer serve\` prints one line
  naming the setting and exits with status 2.
- \`ENF_ERR_STORE_CORRUPT\` is explained, with its recovery, in [store.md](store.md).
`;
process.stdout.write(out);
