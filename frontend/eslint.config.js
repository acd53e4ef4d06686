// ESLint flat config: the recommended rules over src/, test/ and the build script; formatting is
// prettier's (npm run lint runs both).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/"] },
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "no-var": "off", // the code from before the move uses var throughout; new code uses const/let
    },
  },
  {
    files: ["test/**/*.js", "*.mjs", "*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
