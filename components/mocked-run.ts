/**
 * Whether the program runs under `pulumi.runtime.setMocks`, as in a unit test, rather than
 * under the Pulumi CLI.
 *
 * Some checks read what a provider records while it creates a resource (a container's exit
 * code, say). A mock that returns its inputs as the state, as Pulumi's testing guide shows,
 * records none of it, because nothing ran; such a check must not read "nothing recorded" as a
 * failure there, or the program under test fails for no fault of its own. Under the CLI it
 * still must.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

/**
 * The member that only the SDK's mock monitor has. Typed against the SDK's declaration of
 * `MockMonitor`, so that an SDK which renames it fails to compile here instead of turning
 * every mocked run into a real one.
 */
const MOCKS_MEMBER: keyof MockMonitor = "mocks";

/**
 * Whether `monitor` is the SDK's mock monitor: what `setMocks` installs in place of the
 * engine's gRPC client.
 *
 * Recognized by its shape (a `mocks` object with `newResource`), not with `instanceof`: a
 * program and a component may load two copies of `@pulumi/pulumi`, which share one runtime
 * state, so the monitor can be an instance of the other copy's class. Only positive evidence
 * counts: anything else, including no monitor, is not a mocked run.
 */
export function isMockMonitor(monitor: unknown): boolean {
    if (typeof monitor !== "object" || monitor === null || !(MOCKS_MEMBER in monitor)) {
        return false;
    }
    const mocks = (monitor as Record<string, unknown>)[MOCKS_MEMBER];
    return (
        typeof mocks === "object" &&
        mocks !== null &&
        typeof (mocks as Record<string, unknown>).newResource === "function"
    );
}

/**
 * Whether this run is mocked. `pulumi.runtime.getMonitor()` is public API; the SDK has no
 * public "is mocked" flag (its `monitorAddr: "mock"` option is not exported), so the mock
 * monitor itself is the evidence.
 */
export function isMockedRun(): boolean {
    return isMockMonitor(pulumi.runtime.getMonitor());
}
