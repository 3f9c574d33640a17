/**
 * The ownership step: a one-shot, run as root after the restores and before the sidecar when
 * `app.user` is set, that gives the data directory and the database files to the app's user.
 *
 * Why a root step, with the restores and the sidecar left as they are (root), rather than
 * running Litestream as the app's uid (measured with Litestream v0.5.16 on Docker 20.10, see
 * README, "File ownership"):
 * - A new named volume's root is `0:0 755` when the first container that mounts it has no
 *   such directory in its image, as the Litestream image has none; and it stays so even for a
 *   container that runs as uid 1000. Litestream run as uid 1000 then cannot restore into it
 *   (`create temp database path: open <db>.tmp: permission denied`). Something must run as
 *   root to give the directory away, whichever uid Litestream runs as.
 * - A restore writes the database as `0:0 644`, and a database in a sub-folder gets that folder
 *   as `0:0 700`: the step gives each folder between `dataDir` and the database to the user.
 * - Once the directory and the database are the user's, a root sidecar keeps it that way:
 *   Litestream creates its `.<db>-litestream` folder with the owner and mode of the database's
 *   directory and chowns the LTX files it writes to the database's owner (db.go,
 *   internal/internal.go), and SQLite running as root gives the `-wal` and `-shm` files it
 *   creates the database's owner. One exception: the L0 file the sidecar fetches from the
 *   replica after a restore is `0:0 644` (db.go writes it with `os.Create`) inside the user's
 *   `.<db>-litestream` folder; the app never writes there, and Litestream's L0 retention
 *   deletes it once it is compacted and 5 minutes old.
 * - Leftovers of a root app (a stack that gets `app.user` later) break the app: with the
 *   directory and the database given to uid 1000 but a root-owned `-wal` and `-shm` left over,
 *   the app fails with `attempt to write a readonly database`; so does a database given to the
 *   user in a directory still owned by root (SQLite cannot create the `-wal`). Hence all of it.
 * - Litestream as uid 1000 cannot bind its control socket in `/var/run` (`bind: permission
 *   denied`), which the health check needs: it would need a config of its own, and the sidecar
 *   would be replaced when `app.user` is added. With this step only the app is.
 * - Docker copies the app image's folder at `dataDir`, its owner and mode included, onto a named
 *   volume that is still empty when it creates the app's container: on a first deploy (no
 *   replica, no database yet) a volume given to 1000:1000 turned back into `0:0 755` from an
 *   image whose `/app/data` is root's, and the app failed with `unable to open database file`.
 *   A non-empty volume is left alone, so the step creates each database's `.<db>-litestream`
 *   folder, which Litestream creates anyway (with the directory's owner and mode). Docker's
 *   `nocopy` mount option is not an alternative here: the docker provider refuses every volume
 *   option below engine API 1.45 ("Setting VolumeOptions.Subpath requires docker version 1.45
 *   or higher"), and Debian 12's docker.io speaks 1.41.
 *
 * `chown -h` and `chown -R` (which does not follow links) change links, never what a link in
 * the volume points to.
 */
import * as posixPath from "node:path/posix";
import { AppUser, chownOwner } from "../app-user";
import { DatabaseReplica } from "../litestream/databases";
import { claimFilePath } from "./claim";
import { shellQuote } from "./shell";

/** Litestream's state folder beside a database: `.<db file>-litestream` (MetaDirSuffix). */
export function litestreamMetaDir(dbPath: string): string {
    return posixPath.join(posixPath.dirname(dbPath), `.${posixPath.basename(dbPath)}-litestream`);
}

/**
 * Whether the app's user needs the step: root (uid 0) reads and writes the root-owned files a
 * restore leaves, so it does not.
 */
export function needsOwnershipStep(user: AppUser | undefined): user is AppUser {
    return user !== undefined && user.uid !== 0;
}

/**
 * The step's script, for POSIX `sh` with `mkdir`, `chown` and `stat` (coreutils or busybox, as
 * in the upstream Debian-slim Litestream image). It creates each database's `.<db>-litestream`
 * folder when missing (so that the volume is not empty), then gives `dataDir`, every folder
 * between it and each database, the database, its `-wal` and `-shm` and its `.<db>-litestream`
 * folder (with all in it) to the user, skipping the files that do not exist yet (a first
 * deploy has no database), and prints the owner and mode of each before and after
 * (`0:0 644 -> 1000:1000 644 <path>`). Exits non-zero at the first command that fails.
 */
export function renderOwnershipScript(
    dataDir: string,
    databases: readonly DatabaseReplica[],
    user: AppUser,
): string {
    const root = posixPath.normalize(dataDir).replace(/(.)\/$/, "$1");
    const metaDirs = databases.map((db) => shellQuote(litestreamMetaDir(db.path)));
    // The sidecar's claim of the replica (./claim.ts) lives beside the databases too.
    const lines: string[] = [
        `mkdir -p ${metaDirs.join(" ")}`,
        `own ${shellQuote(root)}`,
        `own_if ${shellQuote(claimFilePath(root))}`,
    ];
    const seen = new Set<string>([root]);
    const once = (line: string, path: string) => {
        if (seen.has(path)) return;
        seen.add(path);
        lines.push(line);
    };
    for (const db of databases) {
        const folders: string[] = [];
        let dir = posixPath.dirname(db.path);
        while (dir !== root && dir !== "/") {
            folders.unshift(dir);
            dir = posixPath.dirname(dir);
        }
        for (const dir of folders) once(`own ${shellQuote(dir)}`, dir);
        for (const file of [db.path, `${db.path}-wal`, `${db.path}-shm`]) {
            once(`own_if ${shellQuote(file)}`, file);
        }
        const meta = litestreamMetaDir(db.path);
        once(`own_tree ${shellQuote(meta)}`, meta);
    }
    const owner = chownOwner(user);
    return `set -eu
# Ownership step of litestream-backup: the data directory and the database files become ${owner}'s.
own() {
    was=$(stat -c '%u:%g %a' "$1")
    chown -h ${owner} "$1"
    echo "$was -> $(stat -c '%u:%g %a %n' "$1")"
}
own_if() {
    if [ -e "$1" ] || [ -L "$1" ]; then own "$1"; fi
}
own_tree() {
    if [ -d "$1" ] && [ ! -L "$1" ]; then
        was=$(stat -c '%u:%g %a' "$1")
        chown -R -h ${owner} "$1"
        echo "$was -> $(stat -c '%u:%g %a %n' "$1") (and all in it)"
    fi
}
${lines.join("\n")}
`;
}
