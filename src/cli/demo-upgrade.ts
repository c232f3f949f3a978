import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { LocalCluster } from "../local-cluster/local-cluster.js";
import type { ServerBinary } from "../local-cluster/server-binaries.js";
import { decodeMismatchEvent } from "../core/mismatch-event.js";
import { UPGRADE_SUBJECT } from "../nats/report-service.js";
import type { UpgradeAnswer } from "../nats/upgrade-gatekeeper.js";
import { CommandError } from "./command-error.js";
import { upgradeWait } from "./upgrade.js";

/** Prints every event as it is published, one line each. */
function followEvents(nc: NatsConnection, print: (text: string) => void): void {
  for (const subject of ["versions.mismatch", "versions.mismatch.>"]) {
    nc.subscribe(subject, {
      callback: (_err, m) => {
        const e = decodeMismatchEvent(m.data);
        if (e) print(`  event ${e.scope} #${e.seq} ${e.type}: ${e.previous_state ?? "-"} -> ${e.state}, target ${e.target ?? "-"}, versions ${e.versions.map((v) => `${v.version} (${v.count})`).join(", ")}`);
      },
    });
  }
}

/**
 * The demo cluster upgraded for real, server by server, the way an operator's script would do it:
 * `upgrade wait` until the gate is ready, lame duck the server it names, start it on the new
 * binary, and again, until every server runs the newest version.
 */
export async function demoUpgrade(cluster: LocalCluster, to: ServerBinary, print: (text: string) => void): Promise<void> {
  const flags = { server: cluster.urls.join(","), user: "app", password: "app-secret" };
  const nc = await connect({ servers: cluster.urls, user: "app", pass: "app-secret", maxReconnectAttempts: -1 });
  try {
    followEvents(nc, print);
    await nc.flush();
    for (let step = 1; ; step++) {
      print(`\n[upgrade] step ${step}: nats-version-monitor upgrade wait --cluster demo`);
      const code = await upgradeWait({ ...flags, cluster: "demo", timeout: "5m", interval: "1s" }, (l) => print(`  ${l}`), (l) => print(`  ${l}`));
      if (code !== 0) throw new CommandError(`the upgrade gate did not open (upgrade wait exited ${code})`);
      const verdict = (await nc.request(UPGRADE_SUBJECT, JSON.stringify({ cluster: "demo" }), { timeout: 10_000 })).json<UpgradeAnswer>();
      const gate = verdict.clusters[0]!;
      if (!gate.next) {
        print(`[upgrade] done: every server runs ${gate.target}`);
        return;
      }
      if (gate.path.length > 1) print(`[upgrade] the gate advises going through ${gate.path.join(" -> ")}; this demo only has ${to.version} at hand`);
      const server = cluster.server(gate.next.server);
      print(`[upgrade] ${gate.next.server} (${gate.next.version}) next: ${gate.next.why}`);
      print(`[upgrade] lame duck ${gate.next.server}, then start it on ${to.version}`);
      await server.lameDuck();
      server.spawn(to.path);
    }
  } finally {
    await nc.close();
  }
}
