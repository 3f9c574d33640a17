/** Fixed paths inside the Litestream containers. */

/** Where the Litestream config is uploaded in the sidecar and the restore containers. */
export const CONFIG_PATH = "/etc/litestream.yml";

/** Where the health check script is uploaded in the sidecar. */
export const HEALTHCHECK_SCRIPT_PATH = "/etc/litestream-healthcheck.sh";

/**
 * Litestream's control socket inside the sidecar (Litestream's default path, so
 * `docker exec <sidecar> litestream list` works without `-socket`). The rendered config must
 * enable it: `socket: { enabled: true, path: CONTROL_SOCKET_PATH }`.
 */
export const CONTROL_SOCKET_PATH = "/var/run/litestream.sock";
