import * as pulumi from "@pulumi/pulumi";

/** Returns the value, or throws an InputPropertyError naming the field when it breaks a rule. */
export function ensureValid(
    value: string,
    propertyPath: string,
    problem: (value: string) => string | undefined,
): string {
    const reason = problem(value);
    if (reason) throw new pulumi.InputPropertyError({ propertyPath, reason });
    return value;
}

/**
 * Checks an input that may still be unknown once its value is known; the returned output
 * carries the value on, so anything built from it waits for the check, and a broken rule
 * fails the deployment with the field's name.
 */
export function checkedWhenKnown(
    input: pulumi.Input<string>,
    propertyPath: string,
    problem: (value: string) => string | undefined,
): pulumi.Output<string> {
    return pulumi.output(input).apply((value) => ensureValid(value, propertyPath, problem));
}
