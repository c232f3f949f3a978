/** A cluster name as one subject token: characters a subject cannot carry become `_`. */
export function subjectToken(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

/**
 * The subject an event is published on under `prefix`: `<prefix>.mismatch` for the system,
 * `<prefix>.mismatch.<cluster>` for a cluster. With the prefix `versions` these are the public
 * subjects; the event stream stores them under its own name and republishes them as public ones.
 */
export function mismatchSubject(prefix: string, event: { readonly cluster?: string | null }): string {
  const base = `${prefix}.mismatch`;
  return event.cluster === undefined || event.cluster === null ? base : `${base}.${subjectToken(event.cluster)}`;
}
