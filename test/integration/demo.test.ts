import test from "ava";
import { spawnCli } from "../helpers/cli.js";
import { waitUntil } from "../helpers/cluster.js";

test("demo --upgrade upgrades the local cluster server by server, each step gated, and stops cleanly on Ctrl-C", async (t) => {
  const demo = spawnCli(["demo", "--upgrade"]);
  t.teardown(() => void demo.kill("SIGKILL"));
  const out = await waitUntil("the upgrade done", () => (/\[upgrade\] done: every server runs \S+/.test(demo.output().stdout) ? demo.output().stdout : undefined), 110_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${demo.output().stdout.slice(-3000)}\n${demo.output().stderr.slice(-2000)}`);
  });
  // Each server was taken down only after the gate said ready, and the events followed the upgrade.
  const steps = out.match(/^\[upgrade\] lame duck demo-\d/gm) ?? [];
  t.is(steps.length, 2, "the two servers not on the newest version");
  t.is((out.match(/^  ready: demo: next demo-\d/gm) ?? []).length, 2);
  t.regex(out, /event cluster:demo #\d+ detected/);
  t.regex(out, /event cluster:demo #\d+ resolved: rolling-upgrade -> consistent/);
  t.regex(out, /^CONSISTENT/m);
  demo.kill("SIGINT");
  const done = await demo.done;
  t.is(done.code, 0, done.stderr);
});
