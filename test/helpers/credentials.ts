import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { tempDir } from "./temp-dir.js";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * A decentralized-auth (operator mode) setup: operator, SYS and APP (with JetStream) accounts in a
 * memory resolver, and one creds file per account. Returns the server config to include.
 */
export async function operatorSetup(): Promise<{ conf: string; appCreds: string; sysCreds: string }> {
  const dir = tempDir("nvm-creds-");
  const operator = createOperator();
  const sys = createAccount();
  const app = createAccount();
  const operatorJwt = await encodeOperator("test-operator", operator, { system_account: sys.getPublicKey() });
  // jwt.js leaves limits at 0 (nothing allowed) unless told otherwise.
  const open = { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1, wildcards: true };
  const sysJwt = await encodeAccount("SYS", sys, { limits: open }, { signer: operator });
  const jetstream = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
  const appJwt = await encodeAccount("APP", app, { limits: { ...open, ...jetstream } }, { signer: operator });
  const creds = async (account: ReturnType<typeof createAccount>, name: string) => {
    const user = createUser();
    const jwt = await encodeUser(name, user, account, { subs: -1, data: -1, payload: -1 });
    const path = join(dir, `${name}.creds`);
    writeFileSync(path, fmtCreds(jwt, user));
    return path;
  };
  const conf = [
    `operator: ${operatorJwt}`,
    `system_account: ${sys.getPublicKey()}`,
    `resolver: MEMORY`,
    `resolver_preload: {`,
    `  ${sys.getPublicKey()}: ${sysJwt}`,
    `  ${app.getPublicKey()}: ${appJwt}`,
    `}`,
  ].join("\n");
  return { conf, appCreds: await creds(app, "monitor"), sysCreds: await creds(sys, "monitor-sys") };
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "ignore" });
}

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function tlsSetup(): { dir: string; ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const dir = tempDir("nvm-tls-");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=nvm-test-ca"], dir);
  for (const [name, ext] of [
    ["server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"],
    ["client", "extendedKeyUsage=clientAuth"],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), ext + "\n");
    openssl(["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name === "server" ? "127.0.0.1" : "nvm-client"}`], dir);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`], dir);
  }
  return {
    dir,
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
}

/** An nkey user: its seed in a file (as --nkey takes it) and its public key (for the server). */
export function nkeyUser(dir: string, name: string): { seedFile: string; publicKey: string } {
  const user = createUser();
  const seedFile = join(dir, `${name}.nk`);
  writeFileSync(seedFile, dec(user.getSeed()) + "\n");
  return { seedFile, publicKey: user.getPublicKey() };
}
