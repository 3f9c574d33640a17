import js from "@eslint/js";
import pulumiPlugin from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

const pulumi = pulumiPlugin.default ?? pulumiPlugin;

export default tseslint.config(
    { ignores: ["node_modules/", ".deps/", "bin/", ".bench/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts", "**/*.mts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
        },
    },
);
