import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { ConfigError } from "../../src/config/config-error.js";
import { describeConnection } from "../../src/config/connection-config.js";
import { parseDuration } from "../../src/config/duration.js";
import { formatAgo } from "../../src/core/format-ago.js";
import { resolveMonitorConfig } from "../../src/config/monitor-config.js";
import { tempDir } from "../helpers/temp-dir.js";

test("defaults: local server, bucket version-monitor, auto replicas, 30 s poll", (t) => {
  const c = resolveMonitorConfig({}, {});
  t.deepEqual(c.app.servers, ["nats://127.0.0.1:4222"]);
  t.deepEqual(c.sys.servers, ["nats://127.0.0.1:4222"]);
  t.is(c.bucket, "version-monitor");
  t.is(c.replicas, "auto");
  t.is(c.pollIntervalMs, 30_000);
  t.true(Object.isFrozen(c));
});

test("environment as natscli reads it; the system account has its own credentials", (t) => {
  const c = resolveMonitorConfig({}, {
    NATS_URL: "nats://a:4222,nats://b:4222",
    NATS_USER: "monitor",
    NATS_PASSWORD: "pw",
    NATS_SYS_USER: "monitor-sys",
    NATS_SYS_PASSWORD: "spw",
  });
  t.deepEqual(c.app.servers, ["nats://a:4222", "nats://b:4222"]);
  t.deepEqual(c.sys.servers, c.app.servers);
  t.is(c.app.user, "monitor");
  t.is(c.sys.user, "monitor-sys");
  t.is(c.sys.password, "spw");
});

test("flags win over environment", (t) => {
  const c = resolveMonitorConfig({ server: "nats://flag:4222", bucket: "b1", replicas: "1", "poll-interval": "5s" }, { NATS_URL: "nats://env:4222" });
  t.deepEqual(c.app.servers, ["nats://flag:4222"]);
  t.is(c.bucket, "b1");
  t.is(c.replicas, 1);
  t.is(c.pollIntervalMs, 5_000);
});

test("the system connection never inherits the application credentials", (t) => {
  const c = resolveMonitorConfig({ user: "monitor", password: "pw" }, {});
  t.is(c.sys.user, undefined);
});

test("a natscli context supplies url and credentials", (t) => {
  const home = tempDir("nvm-ctx-");
  mkdirSync(join(home, "nats", "context"), { recursive: true });
  writeFileSync(join(home, "nats", "context", "prod.json"), JSON.stringify({ url: "nats://ctx:4222", user: "u", password: "p", description: "x" }));
  const c = resolveMonitorConfig({ context: "prod" }, { XDG_CONFIG_HOME: home });
  t.deepEqual(c.app.servers, ["nats://ctx:4222"]);
  t.is(c.app.user, "u");
  const err = t.throws(() => resolveMonitorConfig({ context: "nope" }, { XDG_CONFIG_HOME: home }), { instanceOf: ConfigError });
  t.regex(err?.message ?? "", /context "nope": .* does not exist/);
});

const refuses = test.macro((t, flags: Record<string, string>, env: Record<string, string>, message: RegExp) => {
  const err = t.throws(() => resolveMonitorConfig(flags, env), { instanceOf: ConfigError });
  t.regex(err?.message ?? "", message);
  t.false((err?.message ?? "").includes("\n"), "one line");
});

test("bad URL", refuses, { server: "http://x:1" }, {}, /--server: "http:\/\/x:1" must be nats:\/\//);
test("empty URL list", refuses, { server: " , " }, {}, /no server URL/);
test("user without password", refuses, {}, { NATS_USER: "u" }, /NATS_USER is set without a password/);
test("password without user", refuses, { password: "p" }, {}, /--password is set without a user/);
test("two auth methods", refuses, { user: "u", password: "p", token: "t" }, {}, /give one way to authenticate/);
test("unreadable creds file", refuses, { creds: "/nonexistent/x.creds" }, {}, /--creds: cannot read/);
test("unreadable sys nkey", refuses, {}, { NATS_SYS_NKEY: "/nonexistent/seed" }, /NATS_SYS_NKEY: cannot read/);
test("cert without key", refuses, { tlscert: "/etc/hostname" }, {}, /certificate and its key/);
test("bad bucket", refuses, { bucket: "a.b" }, {}, /not a KV bucket name/);
test("bad replicas", refuses, { replicas: "7" }, {}, /replicas must be auto or 1 to 5/);
test("bad duration", refuses, { "poll-interval": "often" }, {}, /--poll-interval: "often" is not a duration/);
test("too short a poll", refuses, { "poll-interval": "1ms" }, {}, /at least 100ms/);
test("bad log level", refuses, {}, { LOG_LEVEL: "loud" }, /LOG_LEVEL: "loud" is not one of/);
test("forget window not beyond the offline window", refuses, { "forget-after": "1m" }, {}, /--forget-after \(60000ms\) must be longer than --offline-after/);
test("bad context name", refuses, { context: "../etc/passwd" }, {}, /not a context name/);

test("describeConnection never shows secrets", (t) => {
  const c = resolveMonitorConfig({ user: "monitor", password: "hunter2" }, { NATS_SYS_TOKEN: "s3cret" });
  const text = JSON.stringify([describeConnection(c.app), describeConnection(c.sys)]);
  t.false(text.includes("hunter2"));
  t.false(text.includes("s3cret"));
  t.true(text.includes("user monitor"));
});

test("durations", (t) => {
  t.is(parseDuration("500ms", "x"), 500);
  t.is(parseDuration("30s", "x"), 30_000);
  t.is(parseDuration("1h30m", "x"), 5_400_000);
  t.is(parseDuration("24h", "x"), 86_400_000);
  t.is(parseDuration("1.5s", "x"), 1_500);
  for (const bad of ["", "10", "s", "5 m", "-1s", "1y"]) t.throws(() => parseDuration(bad, "x"), { instanceOf: ConfigError }, bad);
  t.is(formatAgo(90_061_000), "1d1h");
  t.is(formatAgo(3_900_000), "1h5m");
  t.is(formatAgo(65_000), "1m");
  t.is(formatAgo(5_000), "5s");
  t.is(formatAgo(-5), "0s");
});
