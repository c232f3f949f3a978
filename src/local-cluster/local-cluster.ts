import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { LocalServer } from "./local-server.js";
import { waitUntil } from "./wait-until.js";

/** One cluster of a (super-)cluster to start: its name and one binary per server. */
export interface ClusterSpec {
  readonly name: string;
  readonly binaries: readonly string[];
  /**
   * A leaf cluster (or, with one binary, a standalone leaf server) of the hub cluster named here.
   * Every member links the application account to the hub; with `systemAccount`, each also links
   * its system account (the only way a leaf's servers show in the hub's $SYS). Leaves run no JetStream.
   */
  readonly leaf?: { readonly hub: string; readonly systemAccount: boolean };
}

export interface LocalClusterOptions {
  /** Defaults to the project's nats-conf/accounts.conf. */
  readonly accountsConf?: string;
  /** Working directory; a fresh temporary one by default, removed on stop. */
  readonly dir?: string;
  readonly jetstream?: boolean;
  /** Server names are `${prefix}${cluster}-${n}`; tests use it to keep names unique. */
  readonly namePrefix?: string;
}

const defaultAccountsConf = resolve(fileURLToPath(new URL("../../nats-conf/accounts.conf", import.meta.url)));

interface RouteZ {
  num_routes: number;
}
interface JsZ {
  meta_cluster?: { leader?: string; replicas?: { name: string; current?: boolean; offline?: boolean }[] };
}
interface GatewayZ {
  outbound_gateways?: Record<string, unknown>;
}
interface LeafZ {
  leafnodes: number;
}

/** The hub's leafnode URLs, once with an application-account user and, when asked, once with the system user. */
function leafRemotes(leaf: NonNullable<ClusterSpec["leaf"]>, plans: readonly { spec: ClusterSpec; members: readonly { leafPort: number }[] }[]): { urls: string[]; account: string }[] {
  const hub = plans.find((p) => p.spec.name === leaf.hub && !p.spec.leaf);
  if (!hub) throw new Error(`leaf cluster of an unknown hub ${JSON.stringify(leaf.hub)}`);
  const urls = (user: string, pass: string) => hub.members.map((m) => `nats-leaf://${user}:${pass}@127.0.0.1:${m.leafPort}`);
  return [
    { urls: urls("admin", "admin-secret"), account: "APP" },
    ...(leaf.systemAccount ? [{ urls: urls("sys", "sys-secret"), account: "SYS" }] : []),
  ];
}

/**
 * Real nats-server processes forming one cluster, or several joined by gateways (a super-cluster),
 * on free ports of 127.0.0.1. `stop()` always stops every process, and is safe to call twice.
 */
export class LocalCluster {
  private constructor(
    readonly servers: LocalServer[],
    readonly clusters: readonly string[],
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  /**
   * Starts the servers and waits until the cluster is ready. A port can still be taken between
   * picking and binding, and a meta group can fail to form; then the whole cluster is started
   * again on fresh ports.
   */
  static async start(specs: readonly ClusterSpec[], opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A failed attempt leaves JetStream state behind: the next one gets a directory of its own.
        const dir = opts.dir !== undefined && attempt > 1 ? join(opts.dir, `retry-${attempt}`) : opts.dir;
        return await LocalCluster.#startOnce(specs, { ...opts, ...(dir !== undefined ? { dir } : {}) });
      } catch (err) {
        // A mixed-version cluster now and then never gets its JetStream meta group current (seen
        // with a 2.9.10 meta leader, and as a hub server whose /healthz never passed in a minute);
        // like a taken port, that is the servers', and a fresh start helps.
        if (attempt >= 3 || !/address already in use|waiting for cluster routes, gateways and a JetStream meta leader|waiting for \S+ \/healthz/.test((err as Error).message)) throw err;
      }
    }
  }

  static async #startOnce(specs: readonly ClusterSpec[], opts: LocalClusterOptions): Promise<LocalCluster> {
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "nvm-cluster-"));
    const accountsConf = opts.accountsConf ?? defaultAccountsConf;
    const prefix = opts.namePrefix ?? "";
    const hubs = specs.filter((s) => !s.leaf);
    const gateways = hubs.length > 1;
    const withLeaves = specs.some((s) => s.leaf);

    interface MemberPlan {
      name: string;
      binary: string;
      clientPort: number;
      clusterPort: number;
      httpPort: number;
      gatewayPort: number;
      leafPort: number;
    }
    const plans: { spec: ClusterSpec; members: MemberPlan[] }[] = [];
    for (const spec of specs) {
      const members: MemberPlan[] = [];
      for (const [i, binary] of spec.binaries.entries()) {
        members.push({
          name: `${prefix}${spec.name}-${i + 1}`,
          binary,
          clientPort: await freePort(),
          clusterPort: await freePort(),
          httpPort: await freePort(),
          gatewayPort: gateways && !spec.leaf ? await freePort() : 0,
          leafPort: withLeaves && !spec.leaf ? await freePort() : 0,
        });
      }
      plans.push({ spec, members });
    }

    const servers = plans.flatMap(({ spec, members }) =>
      members.map(
        (m) =>
          new LocalServer(
            {
              name: m.name,
              cluster: spec.name,
              storeDir: join(dir, m.name, "jetstream"),
              clientPort: m.clientPort,
              clusterPort: m.clusterPort,
              httpPort: m.httpPort,
              routes: members.filter((o) => o !== m).map((o) => `nats-route://127.0.0.1:${o.clusterPort}`),
              jetstream: spec.leaf ? false : (opts.jetstream ?? true),
              ...(m.leafPort ? { leafPort: m.leafPort } : {}),
              ...(spec.leaf ? { leafRemotes: leafRemotes(spec.leaf, plans) } : {}),
              ...(gateways && !spec.leaf
                ? {
                    gateway: {
                      port: m.gatewayPort,
                      peers: plans
                        .filter((p) => p.spec !== spec && !p.spec.leaf)
                        .map((p) => ({
                          name: p.spec.name,
                          urls: p.members.map((o) => `nats://127.0.0.1:${o.gatewayPort}`),
                        })),
                    },
                  }
                : {}),
            },
            m.binary,
            join(dir, m.name),
            accountsConf,
          ),
      ),
    );

    const cluster = new LocalCluster(servers, hubs.map((s) => s.name), dir, opts.dir === undefined);
    try {
      await Promise.all(servers.map((s) => s.start()));
      await cluster.waitReady();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Client URLs of every server, for a connection that survives any one of them going away. */
  get urls(): string[] {
    return this.servers.map((s) => s.clientUrl);
  }

  server(name: string): LocalServer {
    const s = this.servers.find((x) => x.name === name || x.name.endsWith(name));
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  /**
   * Waits until every running server has its routes (and gateways) up and JetStream has a
   * meta leader, which is when a replicated KV bucket can be created.
   */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const running = this.servers.filter((s) => s.running);
    const peersInCluster = (s: LocalServer) =>
      running.filter((o) => o !== s && o.config.cluster === s.config.cluster).length;
    // Each unmet condition throws, so that a time-out says which one it was.
    await waitUntil(
      "cluster routes, gateways and a JetStream meta leader",
      async () => {
        for (const s of running) {
          const routez = await s.monitor<RouteZ>("/routez");
          if (routez.num_routes < peersInCluster(s)) throw new Error(`${s.name} has ${routez.num_routes} routes`);
          const remotes = s.config.leafRemotes?.length ?? 0;
          if (remotes > 0) {
            const leafz = await s.monitor<LeafZ>("/leafz");
            if (leafz.leafnodes < remotes) throw new Error(`${s.name} has ${leafz.leafnodes} of ${remotes} leafnode connections`);
          }
          if (this.clusters.length > 1 && !s.config.leafRemotes) {
            const gw = await s.monitor<GatewayZ>("/gatewayz");
            const n = Object.keys(gw.outbound_gateways ?? {}).length;
            if (n < this.clusters.length - 1) throw new Error(`${s.name} has ${n} outbound gateways`);
          }
          // A lone server runs JetStream unclustered: no meta group to wait for.
          if (s.config.jetstream && running.filter((o) => o.config.jetstream).length > 1) {
            const jsz = await s.monitor<JsZ>("/jsz");
            if (!jsz.meta_cluster?.leader) throw new Error(`${s.name} knows no meta leader`);
          }
        }
        await this.#metaPeersCurrent(running);
        return true;
      },
      timeoutMs,
      100,
    );
  }

  /**
   * The meta leader must see every other running JetStream server as a current peer, or placing
   * an R3 stream fails with "no suitable peers for placement".
   */
  async #metaPeersCurrent(running: LocalServer[]): Promise<void> {
    const js = running.filter((s) => s.config.jetstream);
    if (js.length < 2) return;
    const leaderName = (await js[0]!.monitor<JsZ>("/jsz")).meta_cluster?.leader;
    const leader = js.find((s) => s.name === leaderName);
    if (!leader) throw new Error(`meta leader ${leaderName} is not a running server`);
    const replicas = (await leader.monitor<JsZ>("/jsz")).meta_cluster?.replicas ?? [];
    const behind = js.filter((s) => s !== leader && !replicas.some((r) => r.name === s.name && r.current === true && r.offline !== true));
    if (behind.length > 0) throw new Error(`meta leader ${leader.name} does not see ${behind.map((s) => s.name).join(", ")} as current`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop("SIGTERM", 5_000)));
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit handlers): kills every process, and removes the directory it made. */
  kill(): void {
    for (const s of this.servers) s.kill();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
