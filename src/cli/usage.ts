export const usage = `nats-version-monitor: reports nats-server version mismatches in a NATS cluster or super-cluster

Usage:
  nats-version-monitor serve  [connection flags] [--sys-* flags] [--bucket NAME] [--replicas auto|N]
                              [--poll-interval 30s] [--offline-after 2m] [--forget-after 7d] [--max-mismatch 24h]
                              [--leaf-max-mismatch 7d] [--activity-window 1h] [--evaluate-interval 5s] [--events-stream NAME]
                              [--events-max-age 90d] [--events-max-msgs N] [--events-duplicate-window 1h]
                              [--handover-after 2s] [--wait-for-servers] [--log-level info]
                              [--metrics-listen HOST:PORT] [--metrics-max-servers 10000] [--metrics-max-scopes 1000]
  nats-version-monitor report [connection flags] [--cluster NAME] [--server-name NAME] [--page N]
                              [--page-size N] [--json] [--timeout 5s]
  nats-version-monitor check  [connection flags] [--cluster NAME] [--warn-after 1h] [--critical-after 24h]
                              [--format nagios|json|text] [--timeout 5s]
                              a monitoring plugin (Nagios, Icinga, Sensu): one status line with perf data;
                              exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Consistent is OK; a rolling
                              upgrade warns from --warn-after, stalled warns at once, both are critical
                              from --critical-after; stale is critical. No service, a bad answer or bad
                              flags are UNKNOWN (3), the plugin convention for a check that cannot judge
  nats-version-monitor events [connection flags] [--scope system|cluster:NAME] [--cluster NAME]
                              [--type detected|changed|stalled|stale|resolved|affected] [--limit 50] [--page N] [--json]
  nats-version-monitor upgrade status [connection flags] [--cluster NAME] [--json] [--timeout 5s]
                              is it safe to take the next server down? ready, wait or blocked, why, which next
  nats-version-monitor upgrade wait   [connection flags] [--cluster NAME] [--timeout 15m] [--interval 2s]
                              waits until ready (exit 0); blocked exits 1, a time-out exits 3
  nats-version-monitor inventory apply FILE [connection flags] [--bucket NAME]   (YAML or JSON; see README)
  nats-version-monitor inventory show [connection flags] [--bucket NAME] [--json]
  nats-version-monitor advisories load FILE [connection flags] [--bucket NAME]
                              loads a newer advisory dataset into the bucket; every instance uses it
  nats-version-monitor demo   [--upgrade] starts a local mixed-version cluster and the service, prints the report;
                              --upgrade then upgrades it server by server, each step gated by upgrade wait

Connection flags (application account; environment in parentheses):
  --server URLS (NATS_URL)  --user (NATS_USER)  --password (NATS_PASSWORD)  --token (NATS_TOKEN)
  --creds FILE (NATS_CREDS)  --nkey SEEDFILE (NATS_NKEY)  --tlscert/--tlskey/--tlsca (NATS_CERT/KEY/CA)
  --context NAME (NATS_CONTEXT): a natscli context
The system account connection takes the same flags as --sys-server, --sys-user, ... (NATS_SYS_URL,
NATS_SYS_USER, ...); it shares the servers and TLS settings of the application connection by default.`;
