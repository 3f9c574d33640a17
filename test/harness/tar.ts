/**
 * Just enough tar: the one-file archive the docker provider uploads for each `uploads` entry,
 * and a reader for the archive `docker cp <container>:<file> -` answers with.
 */

const BLOCK = 512;

function octal(value: number, width: number): string {
    return value.toString(8).padStart(width - 1, "0") + "\0";
}

/**
 * One regular file, as the provider writes it (resource_docker_container_funcs.go,
 * `uploads`): header name = the `file` path as given (absolute), mode 0644, 0744 when
 * `executable`, or `permissions` (octal) when set; owner root; modification time now. The
 * provider extracts it at `/` of the container (`CopyToContainer(ctx, id, "/", ...)`).
 */
export function tarOneFile(name: string, content: Buffer, mode: number): Buffer {
    let path = name;
    let prefix = "";
    if (Buffer.byteLength(path) > 100) {
        // ustar: split at a slash into prefix (155) and name (100).
        const cut = path.lastIndexOf("/", 155);
        if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) {
            throw new Error(`upload path too long for a ustar header: ${name}`);
        }
        prefix = path.slice(0, cut);
        path = path.slice(cut + 1);
    }
    const header = Buffer.alloc(BLOCK, 0);
    header.write(path, 0, 100, "utf8");
    header.write(octal(mode & 0o7777, 8), 100, 8, "ascii");
    header.write(octal(0, 8), 108, 8, "ascii"); // uid
    header.write(octal(0, 8), 116, 8, "ascii"); // gid
    header.write(octal(content.length, 12), 124, 12, "ascii");
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136, 12, "ascii");
    header.write("        ", 148, 8, "ascii"); // checksum placeholder
    header.write("0", 156, 1, "ascii"); // regular file
    header.write("ustar\0", 257, 6, "ascii");
    header.write("00", 263, 2, "ascii");
    header.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    const padding = Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK, 0);
    return Buffer.concat([header, content, padding, Buffer.alloc(2 * BLOCK, 0)]);
}

/** The regular files of a tar archive, by name (enough for `docker cp ... -`). */
export function untar(archive: Buffer): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    let offset = 0;
    let longName: string | undefined;
    while (offset + BLOCK <= archive.length) {
        const header = archive.subarray(offset, offset + BLOCK);
        if (header.every((b) => b === 0)) break;
        const field = (start: number, length: number) =>
            header
                .subarray(start, start + length)
                .toString("utf8")
                .replace(/\0.*$/s, "");
        const size = parseInt(field(124, 12).trim() || "0", 8);
        const type = field(156, 1);
        const prefix = field(345, 155);
        let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
        longName = undefined;
        const body = archive.subarray(offset + BLOCK, offset + BLOCK + size);
        if (type === "L") {
            longName = body.toString("utf8").replace(/\0.*$/s, "");
        } else if (type === "x") {
            const path = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
            if (path) longName = path[1];
        } else if (type === "0" || type === "") {
            name = name.replace(/^\.\//, "");
            files.set(name, Buffer.from(body));
        }
        offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    return files;
}
