import test from "ava";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import type { NatsConnection } from "@nats-io/nats-core";
import type { LocalCluster } from "../../src/local-cluster/local-cluster.js";
import type { VersionMonitor } from "../../src/monitor.js";
import { connectAs, startCluster, startMonitor, stopCluster, threeVersions, users } from "../helpers/cluster.js";

// The micro protocol's own JSON schemas (nats-io/jsm.go schemas/micro/v1, see test/fixtures/micro-schemas):
// what `nats micro ls|info|stats` and any other micro tooling expect of the service.
const ctx = {} as { cluster: LocalCluster; monitor: VersionMonitor; client: NatsConnection };
const [, , newest] = threeVersions();
const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const schema = (name: string) => ajv.compile(JSON.parse(readFileSync(new URL(`../fixtures/micro-schemas/${name}.json`, import.meta.url), "utf8")));
const validators = { PING: schema("ping_response"), INFO: schema("info_response"), STATS: schema("stats_response") };

interface Stats {
  endpoints: { name: string; num_requests: number; num_errors: number; last_error: string }[];
}

test.before(async () => {
  ctx.cluster = await startCluster([{ name: "schema", binaries: [newest.path] }]);
  ctx.monitor = await startMonitor(ctx.cluster);
  ctx.client = await connectAs(ctx.cluster, users.app);
});

test.after.always(async () => {
  await ctx.client?.close();
  await ctx.monitor?.stop();
  await stopCluster(ctx.cluster);
});

async function verb(v: "PING" | "INFO" | "STATS"): Promise<unknown> {
  const answer = (await ctx.client.request(`$SRV.${v}.version-monitor`, "", { timeout: 2000 })).json<unknown>();
  const valid = validators[v];
  if (!valid(answer)) throw new Error(`$SRV.${v} does not validate: ${ajv.errorsText(valid.errors)}`);
  return answer;
}

test.serial("PING, INFO and STATS validate against the micro schemas, before any error and after many", async (t) => {
  for (const v of ["PING", "INFO", "STATS"] as const) await t.notThrowsAsync(verb(v), v);
  const fresh = (await verb("STATS")) as Stats;
  t.deepEqual(fresh.endpoints.map((e) => [e.name, e.num_errors, e.last_error]), [["report", 0, ""], ["events", 0, ""], ["upgrade", 0, ""]]);

  // Five bad report requests, two bad history requests, one bad upgrade request: every one a micro error.
  const bad: [string, string][] = [
    ["versions.report", "{"], ["versions.report", "[]"], ["versions.report", '{"colour":"red"}'], ["versions.report", '{"page":0}'], ["versions.report", '{"cluster":""}'],
    ["versions.events", '{"limit":-1}'], ["versions.events", "nope"],
    ["versions.upgrade", '{"cluster":7}'],
  ];
  for (const [subject, body] of bad) {
    const m = await ctx.client.request(subject, body, { timeout: 5000 });
    t.is(m.headers?.get("Nats-Service-Error-Code"), "400", `${subject} ${body}`);
  }
  // And good ones, which are not errors.
  await ctx.client.request("versions.report", "", { timeout: 5000 });
  await ctx.client.request("versions.events", "", { timeout: 5000 });

  const after = (await verb("STATS")) as Stats;
  const by = Object.fromEntries(after.endpoints.map((e) => [e.name, e]));
  t.is(by["report"]!.num_errors, 5);
  t.is(by["events"]!.num_errors, 2);
  t.is(by["upgrade"]!.num_errors, 1);
  t.is(by["report"]!.num_requests, 6);
  t.is(by["report"]!.last_error, '"cluster" must be a non-empty string of at most 256 characters');
  t.regex(by["events"]!.last_error, /not JSON/);
  t.regex(by["upgrade"]!.last_error, /"cluster"/);
  // The unnamed form every `nats micro` command starts with answers the same.
  const all = (await ctx.client.request("$SRV.STATS", "", { timeout: 2000 })).json<Stats>();
  t.true(validators.STATS(all), ajv.errorsText(validators.STATS.errors));
});

test.serial("one $SRV.STATS request gathers the service's figures once, not once per endpoint, and the next gathers them afresh", async (t) => {
  const monitor = ctx.monitor as unknown as { stats: () => Record<string, unknown> };
  const own = monitor.stats.bind(ctx.monitor);
  let calls = 0;
  monitor.stats = () => {
    calls++;
    return { ...own(), call: calls };
  };
  try {
    const first = (await ctx.client.request("$SRV.STATS.version-monitor", "", { timeout: 2000 })).json<{ endpoints: { data: { call: number } }[] }>();
    t.is(calls, 1);
    t.deepEqual(first.endpoints.map((e) => e.data.call), [1, 1, 1]);
    const second = (await ctx.client.request("$SRV.STATS.version-monitor", "", { timeout: 2000 })).json<{ endpoints: { data: { call: number } }[] }>();
    t.is(calls, 2);
    t.deepEqual(second.endpoints.map((e) => e.data.call), [2, 2, 2]);
  } finally {
    delete (monitor as { stats?: unknown }).stats;
  }
});
