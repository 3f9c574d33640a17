/**
 * The app's user (`app.user`): a numeric `uid` or `uid:gid`, read the way Docker's `--user`
 * and `chown` read it. Names (`node`, `nonroot`) are not accepted: each image maps them to ids
 * in its own `/etc/passwd`, and the containers that give the files to the app's user run the
 * Litestream image, which cannot resolve the app image's names.
 */

/** The app's user as ids. */
export interface AppUser {
    uid: number;
    /** The group; undefined for a bare `uid` (the image's passwd entry, or 0, decides it). */
    gid?: number;
}

/**
 * The highest uid or gid: ids are 32-bit, and 4294967295 is `(uid_t)-1`, which `chown(2)`
 * reads as "leave unchanged".
 */
export const MAX_ID = 4294967294;

/** One or two decimal ids without leading zeros (so `0100` cannot mean two things). */
const USER_PATTERN = /^(0|[1-9][0-9]*)(?::(0|[1-9][0-9]*))?$/;

/** The ids of `uid` or `uid:gid`; undefined when it is not that form or an id is out of range. */
export function parseAppUser(value: string): AppUser | undefined {
    const match = USER_PATTERN.exec(value);
    if (!match) return undefined;
    const uid = Number(match[1]);
    const gid = match[2] === undefined ? undefined : Number(match[2]);
    if (uid > MAX_ID || (gid !== undefined && gid > MAX_ID)) return undefined;
    return gid === undefined ? { uid } : { uid, gid };
}

/** The `chown` owner for a user: `uid:gid`, or `uid` alone (the group is left as it is). */
export function chownOwner(user: AppUser): string {
    return user.gid === undefined ? `${user.uid}` : `${user.uid}:${user.gid}`;
}
