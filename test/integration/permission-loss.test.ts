import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test from "ava";
import type { VersionReport } from "../../src/core/version-report.js";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, connectAs, monitorConfig, startCluster, stopCluster, threeVersions, users, waitUntil } from "../helpers/cluster.js";

const [, middle, newest] = threeVersions();
const shipped = readFileSync(fileURLToPath(new URL("../../nats-conf/accounts.conf", import.meta.url)), "utf8");

test("a permission removed by a config reload while running: one error line and a report warning, not one per ping", async (t) => {
  const cluster = await startCluster([{ name: "perm", binaries: [middle.path, newest.path, newest.path] }]);
  t.teardown(() => stopCluster(cluster));
  const { log, lines } = captureLogger("info");
  // Pings every 500 ms: a refusal repeated many times must still be said once.
  const monitor = await VersionMonitor.start({ config: monitorConfig(cluster, { "poll-interval": "500ms" }), log });
  t.teardown(() => monitor.stop());
  const client = await connectAs(cluster, users.app);
  t.teardown(() => client.close());
  await waitUntil("three servers", () => (monitor.report().server_count === 3 ? true : undefined), 20_000);

  const withoutPing = shipped.replace(`publish: { allow: ["$SYS.REQ.SERVER.PING", `, `publish: { allow: [`);
  t.not(withoutPing, shipped, "the shipped monitor-sys permissions changed shape: update this test");
  for (const s of cluster.servers) await s.reloadAccounts(withoutPing);

  const errorsAbout = () => lines().filter((l) => l["level"] === 50 && l["subject"] === "$SYS.REQ.SERVER.PING");
  await waitUntil("the refusal logged", () => (errorsAbout().length > 0 ? true : undefined), 10_000);
  // Several more pings are refused meanwhile.
  await new Promise((r) => setTimeout(r, 4000));
  const denials = monitor.stats()["permission_denials"] as { subject: string; count: number }[];
  t.true(denials.some((d) => d.subject === "$SYS.REQ.SERVER.PING" && d.count >= 4), JSON.stringify(denials));
  t.is(errorsAbout().length, 1, JSON.stringify(errorsAbout()));
  t.is(lines().filter((l) => l["level"] === 50).length, 1, "nothing else at error level");
  t.is(errorsAbout()[0]!["connection"], "system");

  const report = (await client.request("versions.report", "", { timeout: 2000 })).json<VersionReport>();
  const warning = report.warnings.find((w) => w.kind === "permission-denied");
  t.truthy(warning, JSON.stringify(report.warnings));
  t.regex(warning!.detail, /system connection may not publish to "\$SYS\.REQ\.SERVER\.PING"/);
  t.is(report.server_count, 3, "still answering from what it has");

});
