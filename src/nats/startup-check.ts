import { createInbox, errors, headers, type NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { publicEventSubjects, seenSubject, witnessStreamName } from "./republish-witness.js";
import type { Logger } from "pino";
import { ConfigError } from "../config/config-error.js";
import type { ConnectionConfig } from "../config/connection-config.js";
import { mismatchSubject } from "../core/event-subject.js";
import { permits } from "../core/subject-permission.js";
import { SysSubject } from "./collector.js";
import { INBOX_PREFIX } from "./connect.js";
import { EVENTS_SUBJECT, REPORT_SUBJECT, SERVICE_NAME, UPGRADE_SUBJECT } from "./report-service.js";
import { errorCauses } from "./error-causes.js";
import { refusedVerb } from "./permission-watch.js";
import { fetchUserInfo, type UserInfo } from "./user-info.js";

/**
 * The service cannot do its job with the connections it was given (wrong account, a permission
 * missing, no JetStream): one line naming what is wrong and how to fix it; the CLI exits 2.
 */
export class StartupCheckError extends ConfigError {
  override name = "StartupCheckError";
}

/** Which connection, as an operator configured it: its name in messages and the settings that choose it. */
export interface ConnectionRole {
  readonly name: "system" | "application";
  /** e.g. `user "monitor-sys"`; never a secret. */
  readonly who: string;
  readonly settings: string;
}

/** How a connection authenticates, for messages: never a secret. */
export function connectionWho(c: ConnectionConfig): string {
  if (c.user !== undefined) return `user ${JSON.stringify(c.user)}`;
  if (c.credsFile !== undefined) return `credentials ${c.credsFile}`;
  if (c.nkeySeedFile !== undefined) return `nkey ${c.nkeySeedFile}`;
  if (c.token !== undefined) return "a token";
  return "no credentials";
}

export const systemRole = (who: string): ConnectionRole => ({
  name: "system",
  who,
  settings: "--sys-user/--sys-password, --sys-creds, --sys-nkey or --sys-context (NATS_SYS_USER, NATS_SYS_PASSWORD, NATS_SYS_CREDS, NATS_SYS_NKEY, NATS_SYS_CONTEXT)",
});

export const applicationRole = (who: string): ConnectionRole => ({
  name: "application",
  who,
  settings: "--user/--password, --creds, --nkey or --context (NATS_USER, NATS_PASSWORD, NATS_CREDS, NATS_NKEY, NATS_CONTEXT)",
});

/** The PermissionViolationError anywhere in an error's causes. */
export function permissionViolation(err: unknown): InstanceType<typeof errors.PermissionViolationError> | undefined {
  for (const e of errorCauses(err)) if (e instanceof errors.PermissionViolationError) return e;
  return undefined;
}

/** The one line for a permission the server refused. */
export function permissionMessage(role: ConnectionRole, operation: string, subject: string, why: string): string {
  return `${role.name} connection (${role.who}) may not ${refusedVerb(operation)} ${JSON.stringify(subject)}, which it needs ${why}: allow it in that user's ${operation === "publish" ? "publish" : "subscribe"} permissions (nats-conf/accounts.conf shows the least it needs)`;
}

/**
 * Subscribes to each subject and waits for the server's answer: a refused subscription comes back
 * as an error before the PONG of the flush, so nothing is left to chance or to a timer.
 */
export async function probeSubscriptions(nc: NatsConnection, role: ConnectionRole, subjects: readonly { subject: string; why: string }[]): Promise<void> {
  const refused: { subject: string; why: string }[] = [];
  const subs = subjects.map(({ subject, why }) =>
    // Without the queue group: a probe in the group could take a request meant for a running instance.
    nc.subscribe(subject, { callback: (err) => void (err && refused.push({ subject, why })) }),
  );
  try {
    await nc.flush();
  } finally {
    for (const s of subs) if (!s.isClosed()) s.unsubscribe();
  }
  const first = refused[0];
  if (first) throw new StartupCheckError(permissionMessage(role, "subscribe", first.subject, first.why));
}

export interface SystemCheckOptions {
  readonly role: ConnectionRole;
  readonly timeoutMs: number;
  /** Keep waiting (warning every `warnEveryMs`) while no server answers, instead of giving up. */
  readonly waitForServers: boolean;
  readonly warnEveryMs: number;
  readonly log: Logger;
}

/**
 * Proves that the system connection sees the servers: it may subscribe to the advertisements and
 * its replies, and a `$SYS.REQ.SERVER.PING` is answered. A connection to any other account
 * connects fine and hears nothing, forever; that is the first mistake this catches.
 */
export async function checkSystemConnection(sys: NatsConnection, opts: SystemCheckOptions): Promise<void> {
  const { role } = opts;
  await probeSubscriptions(sys, role, [
    { subject: SysSubject.Statsz, why: "to read the servers' advertisements" },
    { subject: SysSubject.LameDuck, why: "to see servers enter lame duck mode" },
    { subject: SysSubject.Shutdown, why: "to see servers shut down" },
    { subject: `${createInbox(INBOX_PREFIX)}.*`, why: "to receive the answers to its pings" },
  ]);
  const started = Date.now();
  let lastWarn = 0;
  for (;;) {
    const silence = await pingOnce(sys, opts);
    if (silence === undefined) return;
    const waited = Date.now() - started;
    if (!opts.waitForServers) throw new StartupCheckError(silence);
    if (Date.now() - lastWarn >= opts.warnEveryMs) {
      lastWarn = Date.now();
      opts.log.warn({ waited_ms: waited }, `${silence}; waiting for servers (--wait-for-servers)`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Undefined when a server answered; else why none did, as the one line to show. Throws on permissions. */
async function pingOnce(sys: NatsConnection, opts: SystemCheckOptions): Promise<string | undefined> {
  const { role } = opts;
  try {
    await sys.request(SysSubject.Ping, "", { timeout: opts.timeoutMs });
    return undefined;
  } catch (err) {
    const denied = permissionViolation(err);
    if (denied) {
      const why = denied.operation === "publish" ? "to ask every server for its advertisement" : "to receive the answers to its pings";
      throw new StartupCheckError(permissionMessage(role, denied.operation, denied.subject, why));
    }
    if (err instanceof errors.RequestError && err.isNoResponders()) {
      const info = await fetchUserInfo(sys);
      const where = info ? `it is in account ${JSON.stringify(info.account)}, not the system account` : "it is not in the system account";
      return `system connection (${role.who}): nothing answers ${SysSubject.Ping}, so ${where}: connect it as a user of the system account (system_account in the server configuration, "$SYS" by default) with ${role.settings}`;
    }
    if (sys.isClosed()) throw err;
    return `system connection (${role.who}): no server answered ${SysSubject.Ping} within ${opts.timeoutMs} ms: are the servers up, and is this the system account? Its user is set with ${role.settings}`;
  }
}

export interface ApplicationCheckOptions {
  readonly role: ConnectionRole;
  readonly bucket: string;
  readonly stream: string;
  readonly log: Logger;
}

/** The subjects the application connection subscribes to, and what for. */
function applicationSubscriptions(): { subject: string; why: string }[] {
  const verbs = ["PING", "INFO", "STATS"].flatMap((v) => [`$SRV.${v}`, `$SRV.${v}.${SERVICE_NAME}`]);
  return [
    { subject: REPORT_SUBJECT, why: "to answer reports" },
    { subject: EVENTS_SUBJECT, why: "to answer event history requests" },
    { subject: UPGRADE_SUBJECT, why: "to answer the upgrade gate" },
    ...verbs.map((subject) => ({ subject, why: "for nats micro ls, info and stats" })),
    ...publicEventSubjects().map((subject) => ({ subject, why: "to check that every stored event was republished" })),
    { subject: `${createInbox(INBOX_PREFIX)}.*`, why: "to receive JetStream's answers" },
  ];
}

/**
 * Before anything is created: the application connection may subscribe where the service
 * listens, and its account has JetStream. Returns what the server says about the user, if it can.
 */
export async function checkApplicationConnection(app: NatsConnection, opts: ApplicationCheckOptions): Promise<UserInfo | undefined> {
  const { role } = opts;
  await probeSubscriptions(app, role, applicationSubscriptions());
  try {
    await (await jetstreamManager(app, { timeout: 5000 })).getAccountInfo();
  } catch (err) {
    const denied = permissionViolation(err);
    if (denied) throw new StartupCheckError(permissionMessage(role, denied.operation, denied.subject, "to use JetStream"));
    if ([...errorCauses(err)].some((e) => /not enabled|no responders/i.test(e.message))) {
      const info = await fetchUserInfo(app);
      const account = info ? `account ${JSON.stringify(info.account)}` : "its account";
      throw new StartupCheckError(
        `application connection (${role.who}): ${account} has no JetStream, which the service needs for its bucket ${JSON.stringify(opts.bucket)} and event stream ${JSON.stringify(opts.stream)}: enable JetStream for that account (jetstream: enabled in its accounts block, or JetStream limits on its JWT), or connect with a user of an account that has it, set with ${role.settings}`,
      );
    }
    // A JetStream still electing its leaders answers late: the start-up retries decide.
    opts.log.debug({ err: (err as Error).message }, "JetStream account info failed; start-up retries will tell");
  }
  const info = await fetchUserInfo(app);
  if (info) checkPublishPermissions(info, opts);
  return info;
}

/**
 * Publishing cannot be probed without publishing, and a probe on `versions.mismatch` would reach
 * every subscriber: where the server says what the user may publish (2.10+), that is checked here.
 */
function checkPublishPermissions(info: UserInfo, opts: ApplicationCheckOptions): void {
  const needed = [
    { subject: `${opts.stream}.mismatch`, why: "to store events in its event stream" },
    { subject: `${opts.stream}.mismatch.c`, why: "to store events in its event stream" },
    { subject: mismatchSubject("versions", {}), why: "to publish an event the stream stored but did not republish" },
    { subject: `${mismatchSubject("versions", {})}.c`, why: "to publish an event the stream stored but did not republish" },
    { subject: `$KV.${opts.bucket}.k`, why: "to write its bucket" },
    { subject: seenSubject(witnessStreamName(opts.stream)), why: "to note on the republish witness the events it saw published" },
  ];
  for (const n of needed) {
    if (!permits(info.publish, n.subject)) {
      const shown = n.subject.endsWith(".c") ? n.subject.slice(0, -2) + ".>" : n.subject;
      throw new StartupCheckError(permissionMessage(opts.role, "publish", shown, n.why));
    }
  }
}

/**
 * On servers that cannot say what a user may publish (before 2.10), a publish to the event
 * stream's subjects is tried with an expectation no stream meets: a refusal names the permission,
 * anything else stores nothing.
 */
export async function probeEventPublish(app: NatsConnection, opts: ApplicationCheckOptions): Promise<void> {
  const h = headers();
  h.set("Nats-Expected-Stream", `${opts.stream}-startup-probe`);
  try {
    await app.request(`${opts.stream}.mismatch`, "", { headers: h, timeout: 5000 });
  } catch (err) {
    const denied = permissionViolation(err);
    if (denied) throw new StartupCheckError(permissionMessage(opts.role, "publish", `${opts.stream}.mismatch`, "to store events in its event stream"));
  }
}
