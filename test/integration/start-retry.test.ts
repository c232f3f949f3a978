import test from "ava";
import { VersionMonitor } from "../../src/monitor.js";
import { captureLogger, monitorConfig, startCluster, stopCluster, threeVersions, waitUntil } from "../helpers/cluster.js";

const [, middle] = threeVersions();

test("start-up waits for JetStream to get a meta leader, says so, and starts once it has one", async (t) => {
  const cluster = await startCluster([{ name: "late", binaries: [middle.path, middle.path, middle.path] }]);
  t.teardown(() => stopCluster(cluster));
  // One of three JetStream servers: no meta quorum, so every JetStream request times out or is refused.
  await cluster.server("late-2").stop();
  await cluster.server("late-3").stop();
  const { log, lines } = captureLogger("warn");
  const starting = VersionMonitor.start({ config: monitorConfig(cluster), log });
  let started: VersionMonitor | undefined;
  void starting.then((m) => (started = m), () => undefined);
  t.teardown(async () => (await starting.catch(() => undefined))?.stop());
  await waitUntil("a warning that JetStream is not ready", () => (lines().some((l) => l["msg"] === "JetStream not ready; starting again") ? true : undefined), 60_000);
  t.is(started, undefined, "not started without JetStream");
  await Promise.all([cluster.server("late-2").start(), cluster.server("late-3").start()]);
  const monitor = await starting;
  t.truthy(monitor.service, "the service runs");
  const retries = lines().filter((l) => l["msg"] === "JetStream not ready; starting again");
  t.true(retries.length >= 1);
  t.log(`${retries.length} warning(s) before JetStream answered: ${String(retries[0]!["err"])}`);
});

test("serve started before its servers tries again with backoff, says so at every attempt, and starts once they are up", async (t) => {
  const cluster = await startCluster([{ name: "early", binaries: [middle.path] }]);
  t.teardown(() => stopCluster(cluster));
  await cluster.server("early-1").stop();
  const { log, lines } = captureLogger("warn");
  const starting = VersionMonitor.start({ config: monitorConfig(cluster), log });
  let started: VersionMonitor | undefined;
  void starting.then((m) => (started = m), () => undefined);
  t.teardown(async () => (await starting.catch(() => undefined))?.stop());
  const attempts = () => lines().filter((l) => l["msg"] === "cannot connect to NATS yet; trying again");
  await waitUntil("two attempts refused", () => (attempts().length >= 2 ? true : undefined), 10_000);
  t.is(started, undefined, "not started without a server");
  const [first, second] = attempts();
  t.regex(String(first!["err"]), /^(application|system) account connection failed: .*refused/i);
  t.is(first!["retry_in_ms"], 500);
  t.is(second!["retry_in_ms"], 1000, "the wait doubles");
  await cluster.server("early-1").start();
  const monitor = await starting;
  t.truthy(monitor.service, "the service runs");
  await waitUntil("the server in the report", () => (monitor.report().server_count === 1 ? true : undefined));
});
