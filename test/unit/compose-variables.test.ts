/** The Compose file's variables and the `.env` file that fills them, without mocks. */
import { describe, expect, it } from "vitest";
import {
    appVariables,
    envFileValue,
    escapeLiteral,
    referencedVariables,
    renderEnvFile,
    variableReference,
} from "../../components/compose/variables";

describe("appVariables", () => {
    it("prefixes each key, so a shell's own variables never stand in for the app's", () => {
        const vars = appVariables(["PATH", "DB_PATH"]);
        expect(vars.get("PATH")).toEqual({
            name: "APP_PATH",
            hint: "set it to the value of app.envs.PATH, which is secret in the stack",
        });
        expect(vars.get("DB_PATH")?.name).toBe("APP_DB_PATH");
    });

    it("makes any key a variable name, and two keys never share one", () => {
        const vars = appVariables(["api.key", "api_key", "api-key", "x}$"]);
        expect([...vars.values()].map((v) => v.name)).toEqual([
            "APP_api_key",
            "APP_api_key_2",
            "APP_api_key_3",
            "APP_x__",
        ]);
        expect(vars.get("x}$")?.hint).toBe(
            "set it to the value of app.envs.x__, which is secret in the stack",
        );
    });
});

describe("references and escaping", () => {
    it("refuses to start without the variable, with the hint", () => {
        expect(variableReference({ name: "A", hint: "set A" })).toBe("${A:?set A}");
    });

    it("doubles every `$` of a literal", () => {
        expect(escapeLiteral("$a ${b} $$c")).toBe("$$a $${b} $$$$c");
    });

    it("reads back the references of values only, once each, never an escaped `$`", () => {
        const file = [
            "# ${COMMENT:?not read}",
            "a: ${A:?hint a}",
            "b: $${NOT:?literal} $$$${NOT2:?literal} $$${B:?hint b}",
            "c: [ '${A:?hint a}' ]",
        ].join("\n");
        expect(referencedVariables(file)).toEqual([
            { name: "A", hint: "hint a" },
            { name: "B", hint: "hint b" },
        ]);
    });
});

describe("the .env file", () => {
    const vars = [
        { name: "LITESTREAM_ACCESS_KEY_ID", hint: "the key id" },
        { name: "APP_TOKEN", hint: "the token" },
    ];

    it("is a template with every variable empty, each under its hint", () => {
        expect(renderEnvFile(vars, ["Stack prod.", "", "Fill in."])).toBe(
            [
                "# Stack prod.",
                "#",
                "# Fill in.",
                "",
                "# the key id",
                "LITESTREAM_ACCESS_KEY_ID=",
                "",
                "# the token",
                "APP_TOKEN=",
                "",
            ].join("\n"),
        );
    });

    it("holds values bare when safe, else single-quoted so nothing is interpolated", () => {
        const text = renderEnvFile(vars, [], {
            LITESTREAM_ACCESS_KEY_ID: "AKIA/abc+def=",
            APP_TOKEN: "p$ss word#1",
        });
        expect(text).toContain("LITESTREAM_ACCESS_KEY_ID=AKIA/abc+def=\n");
        expect(text).toContain("APP_TOKEN='p$ss word#1'\n");
    });

    it("refuses a value no .env spelling keeps the same in every Compose release", () => {
        expect(() => envFileValue("APP_TOKEN", "it's")).toThrow(
            "APP_TOKEN holds a single quote or a line break, which a .env file cannot hold safely: set it in the environment of docker compose (or in Portainer's environment variables) instead.",
        );
        expect(() => envFileValue("APP_TOKEN", "a\nb")).toThrow(/line break/);
    });
});
