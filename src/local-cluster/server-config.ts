/** What one local nats-server needs to know to join its cluster (and, optionally, a super-cluster). */
export interface LocalServerConfig {
  readonly name: string;
  readonly cluster: string;
  readonly storeDir: string;
  /** Ports chosen free on 127.0.0.1 and kept across restarts; 0 lets the server pick (-1). */
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly routes: readonly string[];
  readonly gateway?: {
    readonly port: number;
    readonly peers: readonly { readonly name: string; readonly urls: readonly string[] }[];
  };
  readonly jetstream: boolean;
  /** A hub: where leaf nodes connect. */
  readonly leafPort?: number;
  /** A leaf node: the hub's leafnode URLs (credentials in them pick the hub's account) and the local account each binds. */
  readonly leafRemotes?: readonly { readonly urls: readonly string[]; readonly account: string }[];
}

const port = (p: number) => (p === 0 ? -1 : p);

/** Renders a nats-server configuration; every listener binds to 127.0.0.1 only. */
export function renderServerConfig(c: LocalServerConfig): string {
  const lines = [
    `server_name: ${JSON.stringify(c.name)}`,
    `host: 127.0.0.1`,
    `port: ${port(c.clientPort)}`,
    `http: "127.0.0.1:${port(c.httpPort)}"`,
    // Lame duck hands clients over in about a second instead of the default 10 s grace period.
    `lame_duck_grace_period: 1s`,
    `lame_duck_duration: 30s`,
  ];
  // A lone server with JetStream refuses to start with a cluster block and no routes.
  if (c.routes.length > 0 || c.gateway) {
    lines.push(
      `cluster: {`,
      `  name: ${JSON.stringify(c.cluster)}`,
      `  listen: "127.0.0.1:${port(c.clusterPort)}"`,
      `  routes: [${c.routes.map((r) => JSON.stringify(r)).join(", ")}]`,
      `}`,
    );
  }
  if (c.gateway) {
    lines.push(
      `gateway: {`,
      `  name: ${JSON.stringify(c.cluster)}`,
      `  listen: "127.0.0.1:${port(c.gateway.port)}"`,
      `  gateways: [${c.gateway.peers.map((p) => `{ name: ${JSON.stringify(p.name)}, urls: ${JSON.stringify(p.urls)} }`).join(", ")}]`,
      `}`,
    );
  }
  if (c.leafPort !== undefined || c.leafRemotes) {
    lines.push(
      `leafnodes: {`,
      ...(c.leafPort !== undefined ? [`  listen: "127.0.0.1:${port(c.leafPort)}"`] : []),
      ...(c.leafRemotes ? [`  remotes: [${c.leafRemotes.map((r) => `{ urls: ${JSON.stringify(r.urls)}, account: ${JSON.stringify(r.account)} }`).join(", ")}]`] : []),
      `}`,
    );
  }
  if (c.jetstream) {
    lines.push(`jetstream: { store_dir: ${JSON.stringify(c.storeDir)} }`);
  }
  // nats-server resolves includes relative to the including file (absolute paths too), so the
  // accounts file is copied next to the generated configuration.
  lines.push(`include "accounts.conf"`);
  return lines.join("\n") + "\n";
}
