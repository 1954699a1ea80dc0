import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

// A certificate authority made for one test process and thrown away with it (openssl, EC P-256: fast to make),
// and one certificate it signed for *.myshopify.com: every shop's domain, and no other host. The app trusts the CA
// through NODE_EXTRA_CA_CERTS (a child process) or the test's fetch dispatcher (in process); nothing of the
// machine's trust store changes.

export interface ThrowawayCertificates {
  /** The CA's certificate file, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  caPem: string;
  /** The server's key and certificate for *.myshopify.com. */
  key: string;
  cert: string;
}

let made: ThrowawayCertificates | undefined;

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** The process's CA and server certificate, made on first use. */
export function throwawayCertificates(): ThrowawayCertificates {
  if (made) return made;
  const dir = mkdtempSync(path.join(os.tmpdir(), "shopify-standin-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Shopify stand-in test CA"], dir);
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=*.myshopify.com"], dir);
  writeFileSync(
    path.join(dir, "server.ext"),
    "subjectAltName=DNS:*.myshopify.com\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
    dir,
  );
  made = {
    caFile: path.join(dir, "ca.pem"),
    caPem: readFileSync(path.join(dir, "ca.pem"), "utf8"),
    key: readFileSync(path.join(dir, "server.key"), "utf8"),
    cert: readFileSync(path.join(dir, "server.pem"), "utf8"),
  };
  return made;
}
