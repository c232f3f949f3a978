import test from "ava";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/local-cluster/free-port.js";
import { LocalServer } from "../../src/local-cluster/local-server.js";
import { startCluster, stopCluster, threeVersions } from "../helpers/cluster.js";

// The harness starts a whole cluster again when a port it picked was taken before the server bound
// it; that needs the server's own reason, which used to be lost with its log (read before written).
for (const binary of threeVersions()) {
  // One at a time: each picks ports of its own, and the fewer picked at once, the fewer taken meanwhile.
  test.serial(`a server that cannot start says why, from its log (${binary.version})`, async (t) => {
    // A port the OS picks and this process holds: no other process can take it meanwhile.
    const held = createServer();
    await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
    const port = (held.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), "nvm-clash-"));
    const server = new LocalServer(
      { name: "clash", cluster: "x", storeDir: join(dir, "js"), clientPort: port, clusterPort: await freePort(), httpPort: await freePort(), routes: [], jetstream: true },
      binary.path,
      dir,
      new URL("../../nats-conf/accounts.conf", import.meta.url).pathname,
    );
    try {
      const err = await t.throwsAsync(() => server.start());
      t.regex(err?.message ?? "", /clash exited \(1\): .*address already in use/);
    } finally {
      held.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Left behind, every test run's JetStream stores filled the disk (80 GB in /tmp), and JetStream
// writes then failed in every later run.
test.serial("a test cluster's servers and their stores are removed from disk when it stops", async (t) => {
  const [, , newest] = threeVersions();
  const cluster = await startCluster([{ name: "tidy", binaries: [newest.path, newest.path] }]);
  const dir = cluster.dir;
  t.true(readdirSync(dir).length >= 2, "a directory per server");
  await stopCluster(cluster);
  t.false(existsSync(dir));
  // Killed, as the test process's exit handler does whatever happened to the test.
  const killed = await startCluster([{ name: "tidy", binaries: [newest.path] }]);
  killed.kill();
  t.false(existsSync(killed.dir));
  await stopCluster(killed);
});
