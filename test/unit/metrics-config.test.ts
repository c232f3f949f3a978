import test from "ava";
import { ConfigError } from "../../src/config/config-error.js";
import { parseListenAddress } from "../../src/config/listen-address.js";
import { resolveMonitorConfig } from "../../src/config/monitor-config.js";

const parses = test.macro({
  exec(t, text: string, host: string, port: number) {
    t.like(parseListenAddress(text, "--metrics-listen"), { host, port });
  },
  title: (_given, text: string) => `${JSON.stringify(text)} is a listen address`,
});

test(parses, "127.0.0.1:9775", "127.0.0.1", 9775);
test(parses, ":9775", "", 9775);
test(parses, "0.0.0.0:1", "0.0.0.0", 1);
test(parses, "localhost:65535", "localhost", 65535);
test(parses, "metrics.example.internal:9775", "metrics.example.internal", 9775);
test(parses, "[::1]:9775", "::1", 9775);
test(parses, "[::]:9775", "::", 9775);
test(parses, " 127.0.0.1:9775 ", "127.0.0.1", 9775);

const refuses = test.macro({
  exec(t, text: string, why: RegExp) {
    const err = t.throws(() => parseListenAddress(text, "--metrics-listen"), { instanceOf: ConfigError });
    // One line, naming the setting and the value.
    t.regex(err!.message, new RegExp(`^--metrics-listen: ${JSON.stringify(text).replace(/[[\]().*+?]/g, "\\$&")} `));
    t.regex(err!.message, why);
    t.false(err!.message.includes("\n"));
  },
  title: (_given, text: string) => `${JSON.stringify(text)} is refused`,
});

test(refuses, "9775", /is not a listen address \(use HOST:PORT or :PORT/);
test(refuses, "", /is not a listen address/);
test(refuses, "127.0.0.1", /is not a listen address/);
test(refuses, "::1:9775", /is not a listen address/);
test(refuses, "http://127.0.0.1:9775", /is not a listen address/);
test(refuses, "127.0.0.1:", /port "", which is not a port from 1 to 65535/);
test(refuses, "127.0.0.1:0", /port "0"/);
test(refuses, "127.0.0.1:65536", /port "65536"/);
test(refuses, "127.0.0.1:97x5", /port "97x5"/);
test(refuses, "[127.0.0.1]:9775", /not an IPv6 address/);
test(refuses, "bad_host!:9775", /"bad_host!", which is not a host name/);

test("metrics are off unless an address is given", (t) => {
  t.is(resolveMonitorConfig({}, {}).metrics, undefined);
});

test("--metrics-listen and VERSION_MONITOR_METRICS_LISTEN; the flag wins, and messages name where the value came from", (t) => {
  const fromEnv = resolveMonitorConfig({}, { VERSION_MONITOR_METRICS_LISTEN: ":9775" });
  t.like(fromEnv.metrics, { listen: { host: "", port: 9775 }, setting: "VERSION_MONITOR_METRICS_LISTEN", maxServers: 10_000, maxScopes: 1_000 });
  const fromFlag = resolveMonitorConfig({ "metrics-listen": "127.0.0.1:9776" }, { VERSION_MONITOR_METRICS_LISTEN: ":9775" });
  t.like(fromFlag.metrics, { listen: { host: "127.0.0.1", port: 9776 }, setting: "--metrics-listen" });
  t.throws(() => resolveMonitorConfig({}, { VERSION_MONITOR_METRICS_LISTEN: "9775" }), {
    instanceOf: ConfigError,
    message: /^VERSION_MONITOR_METRICS_LISTEN: "9775" is not a listen address/,
  });
});

test("the series caps: flags or environment, whole numbers from 1", (t) => {
  const c = resolveMonitorConfig({ "metrics-listen": ":9775", "metrics-max-servers": "500" }, { VERSION_MONITOR_METRICS_MAX_SCOPES: "20" });
  t.like(c.metrics, { maxServers: 500, maxScopes: 20 });
  for (const bad of ["0", "-1", "1.5", "many", "1000001"]) {
    t.throws(() => resolveMonitorConfig({ "metrics-listen": ":9775", "metrics-max-servers": bad }, {}), {
      instanceOf: ConfigError,
      message: new RegExp(`^--metrics-max-servers: "${bad.replace(".", "\\.")}" is not a whole number from 1 to 1000000$`),
    });
  }
});
