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

/** Where the sidecar's start script (./claim.ts) is uploaded in the sidecar. */
export const SIDECAR_SCRIPT_PATH = "/etc/litestream-sidecar.sh";

/** Where the config of the owner replica (./claim.ts) is uploaded in the sidecar. */
export const OWNER_CONFIG_PATH = "/etc/litestream-owner.yml";

/**
 * The sidecar's own working folder, in the container and not on the volume: the claim database
 * while it is written, the reason it refuses to replicate, Litestream's pid.
 */
export const SIDECAR_STATE_DIR = "/tmp/litestream-backup";

/** The claim database inside the sidecar, as the owner config names it. */
export const OWNER_DB_PATH = `${SIDECAR_STATE_DIR}/owner/owner.db`;
