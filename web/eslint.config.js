// ESLint for the UI (`npm run lint` runs it with `prettier --check`; `make test` runs both).
// Beyond the recommended sets it enforces the folder layering of docs/web.md:
//   api/ → auth/ → components/, realtime/   shared: never import a feature or the app
//   admin/ dashboards/ notifications/ preferences/ push/   features: import shared modules only,
//                                            never each other (a feature's keys.ts excepted: its
//                                            query keys are how another feature invalidates it)
//   app/, pages/, main.tsx                   the app: composes features, imported by nobody
// and no import cycles anywhere (import-x/no-cycle).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const FEATURES = ["admin", "dashboards", "notifications", "preferences", "profile", "push"];
const SHARED = ["api", "auth", "components", "realtime"];
const APP = ["./src/app", "./src/pages", "./src/main.tsx"];

/** import-x/no-restricted-paths zones: `target` may not import `from`. */
const zones = [
  // Shared modules stay below every feature and the app.
  ...SHARED.map((folder) => ({
    target: `./src/${folder}`,
    from: [...FEATURES.map((feature) => `./src/${feature}`), ...APP],
    message: "Shared modules never import a feature or the app: move the code down instead.",
  })),
  // The API client is the bottom layer.
  {
    target: "./src/api",
    from: SHARED.filter((folder) => folder !== "api").map((folder) => `./src/${folder}`),
    message: "api/ is the bottom layer: it imports nothing else of the UI.",
  },
  // Features are independent of each other and of the app.
  ...FEATURES.map((feature) => ({
    target: `./src/${feature}`,
    from: FEATURES.filter((other) => other !== feature).map((other) => `./src/${other}`),
    except: ["./keys.ts"],
    message: "Features never import each other: move what they share into components/ or api/.",
  })),
  ...FEATURES.map((feature) => ({
    target: `./src/${feature}`,
    from: APP,
    message: "Features never import the app (app/, pages/): pages compose features.",
  })),
];

export default tseslint.config(
  { ignores: ["node_modules/", "src/api/schema.d.ts"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser, ...globals.serviceworker } },
    plugins: { "import-x": importX, "react-hooks": reactHooks },
    settings: {
      "import-x/extensions": [".ts", ".tsx", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      "import-x/no-cycle": "error",
      "import-x/no-self-import": "error",
      "import-x/no-useless-path-segments": "error",
      "import-x/no-duplicates": "error",
      "import-x/no-restricted-paths": ["error", { zones }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["*.{js,ts}"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["public/**/*.js"],
    languageOptions: { globals: globals.serviceworker },
  },
  prettier,
);
