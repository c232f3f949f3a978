import { writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import type { NatsConnection } from "@nats-io/nats-core";
import type { VersionReport } from "../../src/core/version-report.js";
import { bundledAdvisories } from "../../src/data/bundled.js";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { runCli } from "../helpers/cli.js";
import { EventLog } from "../helpers/events.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp-dir.js";

const [oldest, middle, newest] = threeVersions();
const ctx = {} as { cluster: LocalCluster; monitors: VersionMonitor[]; client: NatsConnection; listener: NatsConnection; events: EventLog };

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "sec", binaries: [oldest.path, middle.path, newest.path] }]);
  ctx.listener = await connectAs(ctx.cluster, users.app);
  ctx.events = new EventLog(ctx.listener);
  await ctx.listener.flush();
  ctx.monitors = [await startMonitor(ctx.cluster), await startMonitor(ctx.cluster)];
  ctx.client = await connectAs(ctx.cluster, users.app);
  // VARZ (the Go version) arrives shortly after the first advertisement. Both instances answer
  // requests (a queue group), each with its last rendering, which follows its fleet a build later:
  // what each one serves is what must show the three servers, not only its fleet.
  const served = (m: VersionMonitor) => JSON.parse(new TextDecoder().decode(m.encodedReport({}))) as VersionReport;
  await waitUntil("three servers with their Go versions, served by both instances", () => (ctx.monitors.every((m) => served(m).servers.filter((s) => s.go).length === 3) ? true : undefined), 20_000);
});

test.after.always(async () => {
  for (const m of ctx.monitors ?? []) await m.stop();
  await ctx.client?.close();
  await ctx.listener?.close();
  await stopCluster(ctx.cluster);
});

const ask = async () => (await ctx.client.request("versions.report", "", { timeout: 5000 })).json<VersionReport>();
const ids = (r: VersionReport, name: string) => r.servers.find((s) => s.name === name)?.advisories?.ids ?? [];

test.serial("each server lists the advisories of its own version; the dataset and the target's recommendation are in the report", async (t) => {
  const r = await ask();
  t.deepEqual(r.security?.dataset, { source: "nats-io/advisories", as_of: bundledAdvisories.as_of });
  const byVersion = Object.fromEntries(r.servers.map((s) => [s.version, s]));
  const old = byVersion[oldest.version]!;
  const mid = byVersion[middle.version]!;
  const cur = byVersion[newest.version]!;
  t.log(`${old.name} ${old.version} (${old.go}): ${old.advisories?.count}; ${mid.name} ${mid.version} (${mid.go}): ${mid.advisories?.count}; ${cur.name} ${cur.version} (${cur.go}): ${cur.advisories?.count ?? 0}`);
  // secnote-2023-01 (CVE-2023-47090): 2.9.x up to 2.9.22 affected, fixed in 2.9.23 and 2.10.2.
  t.true(ids(r, old.name).includes("CVE-2023-47090"));
  t.false(ids(r, mid.name).includes("CVE-2023-47090"));
  // CVE-2025-30215: fixed in 2.10.27, so 2.9.10 is affected and 2.10.27 is not.
  t.true(ids(r, old.name).includes("CVE-2025-30215"));
  t.false(ids(r, mid.name).includes("CVE-2025-30215"));
  // secnote-2026-05 (CVE-2026-33216): any version before 2.11.15 (or 2.12.6).
  t.true(old.advisories!.count > mid.advisories!.count, "the older, the more");
  t.true(mid.advisories!.count >= 1);
  const newestNatsOnly = bundledAdvisories.advisories.filter((a) => a.component === "nats-server" && cur.advisories?.ids.includes(a.id));
  t.deepEqual(newestNatsOnly, [], `${newest.version} is affected by no nats-server advisory of this dataset`);
  t.is(r.target, newest.version);
  t.is(r.security?.recommended_version, newest.version, "a clean target is its own recommendation");
  t.is(r.security?.affected_servers, r.servers.filter((s) => s.advisories).length);

  const table = await runCli(["report", "--server", ctx.cluster.urls.join(","), "--user", users.app.user, "--password", users.app.pass]);
  t.regex(table.stdout, new RegExp(`^security: target ${newest.version.replace(/\./g, "\\.")} (not affected|affected by)`, "m"));
  t.regex(table.stdout, /ADVISORIES/);

  // The detected events say which versions are affected.
  const detected = await waitUntil("the cluster's detected event", () => ctx.events.of("cluster:sec").find((e) => e.event.type === "detected"), 10_000);
  t.deepEqual(detected.event.affected_versions?.map((v) => v.version), [middle.version, oldest.version].sort());
  t.true(detected.event.affected_versions!.every((v) => v.servers === 1 && v.advisories > 0 && v.ids.length > 0));
});

test.serial("a newer dataset loaded at runtime changes the report on every instance", async (t) => {
  const dir = tempDir("nvm-advisories-");
  const file = join(dir, "newer.json");
  const newer = {
    ...bundledAdvisories,
    source: "test: bundled plus one",
    as_of: "2099-01-01",
    advisories: [
      ...bundledAdvisories.advisories,
      { id: "CVE-2099-0001", aliases: [], published: "2099-01-01", summary: "everything up to the newest is affected", component: "nats-server", affected: [`<=${newest.version}`], fixed: [], severity: "high", source: "test" },
    ],
  };
  writeFileSync(file, JSON.stringify(newer));
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ ...newer, advisories: [{ id: "X", component: "nats-server", affected: ["<<1"] }] }));
  const refused = await runCli(["advisories", "load", bad, "--server", ctx.cluster.urls[0]!, "--user", users.admin.user, "--password", users.admin.pass]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /bad\.json: advisories\[0\] \(X\): "<<1" is not a version range/);

  const loaded = await runCli(["advisories", "load", file, "--server", ctx.cluster.urls[0]!, "--user", users.admin.user, "--password", users.admin.pass]);
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, new RegExp(`loaded ${newer.advisories.length} advisories as of 2099-01-01`));
  for (const [i, m] of ctx.monitors.entries()) {
    const r = await waitUntil(`instance ${i + 1} uses the loaded dataset`, () => {
      const rep = m.report();
      return rep.security?.dataset.as_of === "2099-01-01" ? rep : undefined;
    }, 10_000);
    t.true(r.security!.target!.ids.includes("CVE-2099-0001"));
    t.is(r.security!.recommended_version, null);
    t.regex(r.action, new RegExp(`the target ${newest.version.replace(/\./g, "\\.")} is itself affected by \\d+ known advisor(y|ies) \\(worst: high\\): no release in this dataset is free of them`));
  }
  // Each scope announces, once, that a version it runs is now known to be affected.
  for (const scope of ["system", "cluster:sec"]) {
    const started = Date.now();
    // An instance that holds another's newer record waits until it has heard from the outliers since
    // (a 2.9 server advertises every 30 s): up to one advertisement interval.
    const ev = await waitUntil(`an affected event for ${scope}`, () => ctx.events.of(scope).find((e) => e.event.type === "affected"), 45_000);
    const v = ev.event.affected_versions?.find((x) => x.version === newest.version);
    t.truthy(v, JSON.stringify(ev.event.affected_versions));
    t.log(`${scope}: affected event ${ev.receivedAt - started} ms after every instance used the dataset`);
    t.true(v!.ids.includes("CVE-2099-0001"));
    t.is(v!.worst_severity, "high");
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const scope of ["system", "cluster:sec"]) t.is(ctx.events.types(scope).filter((x) => x === "affected").length, 1, `${scope}: ${ctx.events.types(scope).join(", ")}`);
  // The app user reads the report, but may not write the dataset.
  const denied = await runCli(["advisories", "load", file, "--server", ctx.cluster.urls[0]!, "--user", users.app.user, "--password", users.app.pass]);
  t.is(denied.code, 1);
});

test.serial("an inventory with one pinned server off its pin, one missing entry and one unexpected server: exactly those three findings", async (t) => {
  const [first, second, third] = [...ctx.monitors[0]!.report().servers].sort((a, b) => (a.name < b.name ? -1 : 1));
  const dir = tempDir("nvm-inventory-");
  const file = join(dir, "inventory.yaml");
  writeFileSync(
    file,
    [
      "# what this cluster should run",
      "servers:",
      `  - name: ${first!.name}`,
      "    cluster: sec",
      `    version: "${middle.version}"   # pinned, but it runs ${first!.version}`,
      "    labels: { pipeline: ansible-legacy, owner: team-a }",
      `  - name: ${second!.name}`,
      `    version: "~${middle.version.split(".").slice(0, 2).join(".")}"`,
      "    labels: { pipeline: helm }",
      "  - name: sec-9",
      "    cluster: sec",
      "",
    ].join("\n"),
  );
  const flags = ["--server", ctx.cluster.urls[0]!, "--user", users.admin.user, "--password", users.admin.pass];
  const broken = join(dir, "broken.yaml");
  writeFileSync(broken, "servers:\n  - name: a\n  - name: b\n    version: latest\n");
  const refused = await runCli(["inventory", "apply", broken, ...flags]);
  t.is(refused.code, 2);
  t.is(refused.stderr.trim(), `nats-version-monitor: ${broken}:3: servers[1]: "version" "latest" is not a version or semver range`);

  const applied = await runCli(["inventory", "apply", file, ...flags]);
  t.is(applied.code, 0, applied.stderr);
  for (const [i, m] of ctx.monitors.entries()) {
    const inv = await waitUntil(`instance ${i + 1} uses the inventory`, () => m.report().inventory, 10_000);
    t.deepEqual(inv.drift.map((d) => [d.name, d.version, d.pinned, d.pipeline]), [[first!.name, first!.version, middle.version, "ansible-legacy"]]);
    t.deepEqual(inv.missing.map((x) => [x.name, x.last_seen]), [["sec-9", null]]);
    t.deepEqual(inv.unexpected.map((x) => x.name), [third!.name]);
  }
  // On the wire, the report is rendered off the request path: it shows the inventory a rendering later.
  const r = await waitUntil("the inventory in the served report", async () => {
    const answer = await ask();
    return answer.inventory ? answer : undefined;
  }, 2000, 20);
  t.is(r.inventory!.drift.length + r.inventory!.missing.length + r.inventory!.unexpected.length, 3);
  t.true(r.inventory!.outliers_by_pipeline.length > 0);

  const table = await runCli(["report", "--server", ctx.cluster.urls.join(","), "--user", users.app.user, "--password", users.app.pass]);
  t.regex(table.stdout, /^inventory \(3 entries\):$/m);
  t.regex(table.stdout, /^  missing: sec-9 \(never seen\)$/m);
  t.regex(table.stdout, new RegExp(`^  unexpected: ${third!.name} \\(sec, `, "m"));
  t.regex(table.stdout, new RegExp(`^  drift: ${first!.name} runs ${first!.version.replace(/\./g, "\\.")}, pinned ${middle.version.replace(/\./g, "\\.")} by ansible-legacy$`, "m"));

  const shown = await runCli(["inventory", "show", ...flags]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /^sec-9\s+sec\s+\*/m);
});
