import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { parse } from "yaml";
import { defaultServerBinary } from "../../src/local-cluster/server-binaries.js";
import { parseVersion } from "../../src/core/version.js";
import { users } from "../helpers/cluster.js";

// docker-compose.yml is for users; no Docker engine runs here, so it is checked statically:
// Debian's docker-compose validates and renders it, and its parts must agree with nats-conf/.
const root = fileURLToPath(new URL("../..", import.meta.url));
const composeFile = join(root, "docker-compose.yml");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}

function rendered(): { services: Record<string, Service> } {
  const out = execFileSync("docker-compose", ["-f", composeFile, "config"], { cwd: root, encoding: "utf8" });
  return parse(out);
}

test("docker-compose validates and renders the file", (t) => {
  t.notThrows(() => execFileSync("docker-compose", ["-f", composeFile, "config", "-q"], { cwd: root }));
});

test("three nats servers on three different pinned official image versions", (t) => {
  const { services } = rendered();
  const nats = Object.entries(services).filter(([, s]) => s.image?.startsWith("nats:"));
  t.is(nats.length, 3);
  const versions = nats.map(([, s]) => s.image!.slice("nats:".length));
  for (const v of versions) t.truthy(parseVersion(v), `nats:${v} is pinned to a version, not a moving tag`);
  t.is(new Set(versions).size, 3);
});

test("every server mounts nats-conf and runs server.conf; names and routes agree", (t) => {
  const { services } = rendered();
  const conf = readFileSync(join(root, "nats-conf", "server.conf"), "utf8");
  const routes = [...conf.matchAll(/nats-route:\/\/([\w-]+):(\d+)/g)].map((m) => [m[1], m[2]]);
  const clusterPort = conf.match(/cluster:\s*{[^}]*port:\s*(\d+)/s)?.[1];
  const clientPort = conf.match(/^port:\s*(\d+)/m)?.[1];
  const names: string[] = [];
  for (const [name, s] of Object.entries(services).filter(([, s]) => s.image?.startsWith("nats:"))) {
    const mount = s.volumes?.find((v) => v.endsWith(":/config:ro") || v.includes(":/config:"));
    t.truthy(mount, `${name} mounts nats-conf`);
    const hostDir = mount!.split(":")[0]!;
    t.true(existsSync(join(hostDir, "server.conf")) && existsSync(join(hostDir, "accounts.conf")), `${name}: ${hostDir} has the config files`);
    t.deepEqual(s.command, ["--config", "/config/server.conf"]);
    t.is(s.environment?.["SERVER_NAME"], name, "server_name comes from SERVER_NAME");
    names.push(name);
  }
  t.deepEqual(routes.map(([host]) => host!).sort(), names.sort(), "routes name every server");
  for (const [, port] of routes) t.is(port, clusterPort);
  const monitor = services["version-monitor"]!;
  const urls = monitor.environment!["NATS_URL"]!.split(",");
  t.deepEqual(urls.map((u) => new URL(u).hostname).sort(), names.sort());
  t.truthy(clientPort, "server.conf sets the client port");
  for (const u of urls) t.is(new URL(u).port, clientPort!);
});

test("the monitor uses the least-privileged users defined in accounts.conf", (t) => {
  const env = rendered().services["version-monitor"]!.environment!;
  t.is(env["NATS_USER"], users.monitor.user);
  t.is(env["NATS_PASSWORD"], users.monitor.pass);
  t.is(env["NATS_SYS_USER"], users.monitorSys.user);
  t.is(env["NATS_SYS_PASSWORD"], users.monitorSys.pass);
  const accounts = readFileSync(join(root, "nats-conf", "accounts.conf"), "utf8");
  const sys = accounts.slice(accounts.indexOf("SYS: {"), accounts.indexOf("APP: {"));
  const app = accounts.slice(accounts.indexOf("APP: {"));
  t.regex(sys, new RegExp(`user: ${env["NATS_SYS_USER"]}, password: ${env["NATS_SYS_PASSWORD"]}`));
  t.regex(app, new RegExp(`user: ${env["NATS_USER"]}, password: ${env["NATS_PASSWORD"]}`));
  t.true(existsSync(join(root, "Dockerfile")), "the service image is built from the Dockerfile");
});

test("a real nats-server accepts server.conf with the compose environment", (t) => {
  const out = execFileSync(defaultServerBinary(), ["-t", "-c", join(root, "nats-conf", "server.conf")], {
    env: { ...process.env, SERVER_NAME: "n1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.pass(out);
});
