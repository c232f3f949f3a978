import type { NatsConnection } from "@nats-io/nats-core";

export interface SimulatedServer {
  readonly name: string;
  readonly cluster: string;
  version: string;
  startedAt: string;
  seq: number;
}

/**
 * Servers that exist only as STATSZ advertisements, published through the system account as real
 * servers publish them, every `intervalMs`. A version change is a restart: new version, new start.
 */
export class SimulatedServers {
  readonly servers = new Map<string, SimulatedServer>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly sys: NatsConnection) {}

  add(name: string, cluster: string, version: string): void {
    this.servers.set(name, { name, cluster, version, startedAt: new Date(Date.now() - 3_600_000).toISOString(), seq: 0 });
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => this.advertiseAll(), intervalMs);
  }

  /** Restarts a server on another version and advertises it at once. */
  restart(name: string, version: string): void {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no simulated server ${name}`);
    s.version = version;
    s.startedAt = new Date().toISOString();
    this.#advertise(s);
  }

  advertiseAll(): void {
    for (const s of this.servers.values()) this.#advertise(s);
  }

  /** One server's advertisement now. */
  advertise(name: string): void {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no simulated server ${name}`);
    this.#advertise(s);
  }

  #advertise(s: SimulatedServer): void {
    const id = `NSIM${s.name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
    const msg = {
      server: { name: s.name, host: "127.0.0.1", id, cluster: s.cluster, ver: s.version, jetstream: false, seq: ++s.seq, time: new Date().toISOString() },
      statsz: { start: s.startedAt, mem: 1, cores: 1, connections: 0, routes: [] },
    };
    this.sys.publish(`$SYS.SERVER.${id}.STATSZ`, JSON.stringify(msg));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
