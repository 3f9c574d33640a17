import * as pulumi from "@pulumi/pulumi";

/**
 * Checks an input that may still be unknown once its value is known; the returned output
 * carries the value on, so anything built from it waits for the check.
 */
export function checkedWhenKnown(
    input: pulumi.Input<string>,
    propertyPath: string,
    problem: (value: string) => string | undefined,
): pulumi.Output<string> {
    return pulumi.output(input).apply((value) => {
        const reason = problem(value);
        if (reason) throw new pulumi.InputPropertyError({ propertyPath, reason });
        return value;
    });
}
