import test from "ava";
import { prometheusBinary, run } from "../helpers/prometheus.js";

test("examples/prometheus/alerts.yml passes promtool check rules", async (t) => {
  const r = await run(prometheusBinary("promtool"), ["check", "rules", "examples/prometheus/alerts.yml"]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /SUCCESS: 4 rules found/);
});

test("promtool test rules: the stale alert fires after its 5 minutes, once for two monitor instances; stalled and vulnerable too", async (t) => {
  const r = await run(prometheusBinary("promtool"), ["test", "rules", "examples/prometheus/alerts.test.yml"]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /SUCCESS/);
});
