/**
 * Versions of the images the component deploys by default. `npm run deps` builds the
 * same versions for the tests (scripts/deps.sh reads this file), so the tests run what
 * users get.
 */

/** Litestream release deployed by default (see MIN_LITESTREAM in validate.ts for the floor). */
export const LITESTREAM_VERSION = "0.5.16";

/** Default Litestream image: an exact tag of the upstream Debian-slim image. */
export const LITESTREAM_IMAGE = `litestream/litestream:${LITESTREAM_VERSION}`;

/** versitygw release used by the `local` storage provider. */
export const VERSITYGW_VERSION = "v1.8.0";

/** Default image of the local S3 server. */
export const VERSITYGW_IMAGE = `versity/versitygw:${VERSITYGW_VERSION}`;
