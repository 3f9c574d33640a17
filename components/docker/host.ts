import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerArgs } from "../args";

/** The Docker host's shared pieces: what the deployment and the `local` storage server run on. */
export interface DockerHost {
    provider: docker.Provider;
    network: docker.Network;
    /**
     * Prefix of every Docker object name of the component (the app's container name), so that
     * two components or stacks on one engine never share a network, volume or container.
     */
    prefix: string;
    /** Labels every Docker object of the component carries. */
    labels: { label: string; value: string }[];
}

/** Label keys every Docker object of the component carries, so it can be found and cleaned. */
export const LABEL_COMPONENT = "litestream-backup.component";
export const LABEL_STACK = "litestream-backup.stack";
export const LABEL_PROJECT = "litestream-backup.project";

/** Labels of the component's Docker objects. */
export function componentLabels(name: string): { label: string; value: string }[] {
    return [
        { label: LABEL_PROJECT, value: pulumi.getProject() },
        { label: LABEL_STACK, value: pulumi.getStack() },
        { label: LABEL_COMPONENT, value: name },
    ];
}

/**
 * The Docker provider for `docker.host` (the local engine when unset) and the component's
 * user-defined network, `<prefix>-network`. Every container, volume and network of the component
 * goes through this provider, so one `docker.host` moves the whole deployment.
 *
 * A new `docker.host` replaces the provider, and with it every Docker object on it. The docker
 * provider itself treats a new host as an update in place (measured: `pulumi up` then changed
 * the provider and nothing else, reported success, and left the new server empty). The
 * provider's replacement deletes before it creates (its own delete is a no-op), and the engine
 * then deletes every object that uses it first, in reverse dependency order (the app, the
 * sidecar, the one-shots, then the volume and the network), through the old provider, on the
 * old server, and creates them all again on the new one: the old sidecar's last sync is in the
 * bucket before the new server restores from it, and two sidecars never write at once. When the
 * old server does not answer, that first delete fails and nothing has changed yet: the state
 * still holds one provider, which `pulumi state delete --target-dependents` removes with every
 * object on the dead server (README, "The old server is gone"). (`replaceWith: [provider]` on
 * each object was tried first: Pulumi 3.248 deletes such objects in map order, and the network
 * went before the containers still attached to it.)
 */
export function createDockerHost(
    name: string,
    args: DockerArgs | undefined,
    parent: pulumi.Resource,
    prefix: string = name,
): DockerHost {
    const provider = new docker.Provider(
        `${name}-docker`,
        { host: args?.host, sshOpts: args?.sshOpts },
        // The type of a provider's options lacks deleteBeforeReplace; the engine honours it.
        {
            parent,
            replaceOnChanges: ["host"],
            deleteBeforeReplace: true,
        } as pulumi.CustomResourceOptions,
    );
    const labels = componentLabels(name);
    const network = new docker.Network(
        `${name}-network`,
        { name: `${prefix}-network`, driver: "bridge", labels },
        // Docker allows two networks of one name, and containers then cannot join either:
        // the old network must go before its replacement.
        { parent, provider, deleteBeforeReplace: true },
    );
    return { provider, network, labels, prefix };
}
