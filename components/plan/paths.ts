/** Fixed paths inside the Litestream containers. */

/** Where the Litestream config is uploaded in the sidecar and the restore containers. */
export const CONFIG_PATH = "/etc/litestream.yml";

/** Where the health check script is uploaded in the sidecar. */
export const HEALTHCHECK_SCRIPT_PATH = "/etc/litestream-healthcheck.sh";

/**
 * The folder of Litestream's control socket, a volume of its own (`<app>-control`) shared by
 * the sidecar and the verifier: the verifier asks the sidecar for each database's position
 * and last successful sync there. Nothing else mounts it (the socket can stop and start
 * replication).
 */
export const CONTROL_DIR = "/var/run/litestream";

/**
 * Litestream's control socket, in {@link CONTROL_DIR}. The rendered config must enable it:
 * `socket: { enabled: true, path: CONTROL_SOCKET_PATH }`; `litestream list` in the sidecar then
 * needs `-socket` with this path.
 */
export const CONTROL_SOCKET_PATH = `${CONTROL_DIR}/litestream.sock`;

/** Where the verifier's script is uploaded. */
export const VERIFY_SCRIPT_PATH = "/etc/litestream-verify.sh";

/** Where the verifier's Perl helper (sockets, HTTP, metrics) is uploaded. */
export const VERIFY_HELPER_PATH = "/etc/litestream-verify.pl";

/**
 * The verifier's own folder (its container's file system, not a volume): the outcome of the
 * last drill, its metrics, and `scratch/`, where each drill restores and which it empties.
 */
export const VERIFY_STATE_DIR = "/var/lib/litestream-verify";

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
