/**
 * NATS subject matching as the server applies it to a user's permission lists, for literal
 * subjects: `*` matches one token, `>` one or more trailing tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** One direction of a user's permissions, as `$SYS.REQ.USER.INFO` reports them. */
export interface SubjectPermission {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

/** Whether a permission lets a literal subject through: allowed (or no allow list) and not denied. */
export function permits(permission: SubjectPermission | undefined, subject: string): boolean {
  if (!permission) return true;
  const allowed = !permission.allow || permission.allow.length === 0 || permission.allow.some((p) => subjectMatches(p, subject));
  return allowed && !(permission.deny ?? []).some((p) => subjectMatches(p, subject));
}
