/** One `OUTBOUND_ALLOWED_HOSTS` entry: a host name or address, on any port or on one. */
export interface AllowedHost {
  host: string;
  port?: number;
}

/** Host names compare case-insensitively and without a trailing dot; IPv6 without brackets. */
export function normaliseHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Parses `OUTBOUND_ALLOWED_HOSTS`: comma-separated `host` or `host:port`, IPv6 addresses in
 * brackets (`[fd00::1]:8443`). Throws with the entry that does not parse.
 */
export function parseAllowedHosts(value: string | undefined): AllowedHost[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s@]+)(?::(\d{1,5}))?$/.exec(entry);
      const port = match?.[2] === undefined ? undefined : Number(match[2]);
      if (!match?.[1] || (port !== undefined && (port < 1 || port > 65_535)))
        throw new Error(`"${entry}" is not a host or host:port (IPv6 addresses in brackets)`);
      const host = normaliseHost(match[1]);
      return port === undefined ? { host } : { host, port };
    });
}

/** Whether a URL's host and port are named by one of the entries. */
export function isAllowedHost(allowed: readonly AllowedHost[], url: URL): boolean {
  const host = normaliseHost(url.hostname);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return allowed.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));
}
