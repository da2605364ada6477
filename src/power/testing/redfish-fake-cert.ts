import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let made: { key: string; cert: string; fingerprint: string } | undefined;

/** A self-signed certificate for 127.0.0.1 and ::1, made once per process with openssl. */
export function certificate(): { key: string; cert: string; fingerprint: string } {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), "redfish-fake-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          keyFile,
          "-out",
          certFile,
          "-days",
          "2",
          "-subj",
          "/CN=redfish-contract-fake",
          "-addext",
          "subjectAltName=IP:127.0.0.1,IP:::1",
        ],
        { stdio: "ignore" },
      );
    } catch (e) {
      throw new Error(
        `the Redfish contract fake needs openssl to make its certificate (apt-get install openssl): ${String(e)}`,
      );
    }
    const cert = readFileSync(certFile, "utf8");
    const fingerprint = new X509Certificate(cert).fingerprint256.replace(/:/g, "").toLowerCase();
    made = { key: readFileSync(keyFile, "utf8"), cert, fingerprint };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
