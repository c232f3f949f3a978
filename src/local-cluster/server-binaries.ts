import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";

/** A nats-server executable and the version it reports. */
export interface ServerBinary {
  readonly version: string;
  readonly path: string;
}

const projectRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Where scripts/install-nats-servers.sh puts the binaries (overridable for tests elsewhere). */
export function serversDir(): string {
  return process.env["NATS_SERVERS_DIR"] ?? join(projectRoot, ".nats-servers");
}

/**
 * The installed nats-server binaries, oldest first. The install script records what it got in
 * versions.txt; nothing here assumes particular version numbers.
 */
export function installedServerBinaries(dir = serversDir()): ServerBinary[] {
  const manifest = join(dir, "versions.txt");
  if (!existsSync(manifest)) {
    throw new Error(`no nats-server binaries in ${dir}: run "npm run install-servers" first`);
  }
  const binaries = readFileSync(manifest, "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((version) => version !== "")
    .map((version) => ({ version, path: join(dir, version, "nats-server") }))
    .filter((b) => existsSync(b.path));
  return binaries.sort((a, b) => semver.compare(a.version, b.version, { loose: true }));
}

/** The binary to use when one version is enough: NATS_SERVER_BIN, else the newest installed. */
export function defaultServerBinary(): string {
  const fromEnv = process.env["NATS_SERVER_BIN"];
  if (fromEnv) return fromEnv;
  const newest = installedServerBinaries().at(-1);
  if (!newest) throw new Error(`no nats-server binaries in ${serversDir()}`);
  return newest.path;
}
