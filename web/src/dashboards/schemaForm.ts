// JSON Schema (the subset the widget types use) → form fields, initial values, client-side
// checks and the cleaned config sent to the server. Pure: no React, unit-tested.

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  title?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  [key: string]: unknown;
};

export type FieldKind =
  | "string"
  | "text"
  | "number"
  | "integer"
  | "boolean"
  | "enum"
  | "multienum"
  | "stringlist"
  | "object"
  | "objectlist"
  | "json";

export interface EnumOption {
  value: string | number | null;
  label: string;
}

export interface FormField {
  key: string;
  /** Dotted path from the form root, e.g. "config.fields.0.selector" for list items. */
  path: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: EnumOption[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  /** Sub-fields of an object, or of each item of an object list (paths relative to the item). */
  fields?: FormField[];
}

export interface SchemaFormOptions {
  /** Choices for a `source` property (data-source uids of the kinds the widget reads). */
  sources?: EnumOption[];
}

/** "unread_only" → "Unread only", "x_key" → "X key". */
export function humanize(key: string): string {
  const words = key.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function optionLabel(value: unknown): string {
  if (value === null) return "Any";
  return humanize(String(value));
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type;
}

export function fieldFor(
  key: string,
  schema: JsonSchema,
  required: boolean,
  path: string,
  options: SchemaFormOptions = {},
): FormField {
  const base = {
    key,
    path,
    label: schema.title ?? humanize(key),
    required,
    description: schema.description,
  };
  if (key === "source" && options.sources) {
    return { ...base, kind: "enum", options: options.sources, description: undefined };
  }
  if (Array.isArray(schema.enum)) {
    return {
      ...base,
      kind: "enum",
      options: schema.enum.map((value) => ({
        value: value as string | number | null,
        label: optionLabel(value),
      })),
    };
  }
  const type = typeOf(schema);
  switch (type) {
    case "string":
      return {
        ...base,
        kind: key === "markdown" || (schema.maxLength ?? 0) > 2000 ? "text" : "string",
        minLength: schema.minLength,
        maxLength: schema.maxLength,
        pattern: schema.pattern,
      };
    case "number":
    case "integer":
      return { ...base, kind: type, minimum: schema.minimum, maximum: schema.maximum };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "object":
      return { ...base, kind: "object", fields: fieldsFromSchema(schema, path, options) };
    case "array": {
      const items = schema.items ?? {};
      const limits = { minItems: schema.minItems, maxItems: schema.maxItems };
      if (Array.isArray(items.enum)) {
        return {
          ...base,
          ...limits,
          kind: "multienum",
          options: items.enum.map((value) => ({
            value: value as string | number | null,
            label: optionLabel(value),
          })),
        };
      }
      if (typeOf(items) === "string") return { ...base, ...limits, kind: "stringlist" };
      if (typeOf(items) === "object") {
        return {
          ...base,
          ...limits,
          kind: "objectlist",
          fields: fieldsFromSchema(items, "", options),
        };
      }
      return { ...base, kind: "json" };
    }
    default:
      return { ...base, kind: "json" };
  }
}

/** The fields of an object schema, in the schema's property order. */
export function fieldsFromSchema(
  schema: JsonSchema,
  prefix = "config",
  options: SchemaFormOptions = {},
): FormField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, sub]) =>
    fieldFor(key, sub, required.has(key), prefix ? `${prefix}.${key}` : key, options),
  );
}

export type Values = Record<string, unknown>;

/** What the form starts with: the type's defaults, overlaid with the widget's current config. */
export function initialValues(defaults: Values | undefined, current?: Values): Values {
  return structuredClone({ ...(defaults ?? {}), ...(current ?? {}) });
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === "" ||
    (typeof value === "number" && Number.isNaN(value)) ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** The config to send: empty optional values left out (the server fills defaults). */
export function cleanValues(fields: FormField[], values: Values): Values {
  const result: Values = {};
  for (const field of fields) {
    let value = values[field.key];
    if (field.kind === "stringlist" && Array.isArray(value)) {
      value = value.map((line) => String(line).trim()).filter((line) => line !== "");
    } else if (field.kind === "object" && value && typeof value === "object") {
      value = cleanValues(field.fields ?? [], value as Values);
    } else if (field.kind === "objectlist" && Array.isArray(value)) {
      value = value.map((item) => cleanValues(field.fields ?? [], (item ?? {}) as Values));
    } else if (field.kind === "string" || field.kind === "text") {
      if (typeof value === "string" && value.trim() === "" && !field.required) value = undefined;
    }
    if (isEmpty(value) && !(field.kind === "enum" && value === null)) continue;
    result[field.key] = value;
  }
  return result;
}

/** Checks the browser can make before asking the server (which stays the authority). */
export function validate(
  fields: FormField[],
  values: Values,
  prefix = "config",
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const path = prefix ? `${prefix}.${field.key}` : field.key;
    const value = values[field.key];
    if (field.required && isEmpty(value) && field.kind !== "boolean") {
      errors[path] = "This field is required";
      continue;
    }
    if (isEmpty(value)) continue;
    if (field.kind === "number" || field.kind === "integer") {
      const number = Number(value);
      if (!Number.isFinite(number)) errors[path] = "Enter a number";
      else if (field.kind === "integer" && !Number.isInteger(number))
        errors[path] = "Enter a whole number";
      else if (field.minimum !== undefined && number < field.minimum)
        errors[path] = `Must be at least ${field.minimum}`;
      else if (field.maximum !== undefined && number > field.maximum)
        errors[path] = `Must be at most ${field.maximum}`;
    } else if (field.kind === "string" || field.kind === "text") {
      const text = String(value);
      if (field.minLength !== undefined && text.length < field.minLength)
        errors[path] = `Must be at least ${field.minLength} characters`;
      else if (field.maxLength !== undefined && text.length > field.maxLength)
        errors[path] = `Must be at most ${field.maxLength} characters`;
      else if (field.pattern && !new RegExp(field.pattern, "u").test(text))
        errors[path] = "This value has the wrong format";
    } else if (
      field.kind === "multienum" ||
      field.kind === "stringlist" ||
      field.kind === "objectlist"
    ) {
      const count = Array.isArray(value) ? value.length : 0;
      if (field.minItems !== undefined && count < field.minItems)
        errors[path] = `Choose at least ${field.minItems}`;
      else if (field.maxItems !== undefined && count > field.maxItems)
        errors[path] = `At most ${field.maxItems} allowed`;
      if (field.kind === "objectlist" && Array.isArray(value)) {
        value.forEach((item, index) =>
          Object.assign(
            errors,
            validate(field.fields ?? [], (item ?? {}) as Values, `${path}.${index}`),
          ),
        );
      }
    } else if (field.kind === "object" && value && typeof value === "object") {
      Object.assign(errors, validate(field.fields ?? [], value as Values, path));
    }
  }
  return errors;
}

/** Set `value` at a dotted path (numeric parts index arrays), returning a new object. */
export function setPath(root: Values, path: string[], value: unknown): Values {
  if (path.length === 0) return root;
  const [head, ...rest] = path;
  const copy: Values | unknown[] = Array.isArray(root) ? [...root] : { ...root };
  const current = (copy as Record<string, unknown>)[head];
  (copy as Record<string, unknown>)[head] =
    rest.length === 0
      ? value
      : setPath((current ?? (/^\d+$/.test(rest[0]) ? [] : {})) as Values, rest, value);
  return copy as Values;
}

/** Server 422 details → field path → message, keeping messages for unknown paths under "". */
export function serverErrors(
  fieldErrors: Record<string, string>,
  known: Set<string>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [rawPath, message] of Object.entries(fieldErrors)) {
    // "'query' is a required property" at the object itself belongs to the missing field.
    const missing = /^'([^']+)' is a required property/.exec(message);
    const path = missing ? `${rawPath}.${missing[1]}` : rawPath;
    // Pydantic/JSON-Schema paths can point deeper than a field we render: attach to the nearest.
    const parts = path.split(".");
    let target = "";
    for (let end = parts.length; end > 0; end--) {
      const candidate = parts.slice(0, end).join(".");
      if (known.has(candidate)) {
        target = candidate;
        break;
      }
    }
    result[target] = result[target] ? `${result[target]}; ${message}` : message;
  }
  return result;
}

/** Every path a form renders (for matching server errors), list items up to `listLength`. */
export function knownPaths(fields: FormField[], values: Values, prefix = "config"): Set<string> {
  const paths = new Set<string>();
  for (const field of fields) {
    const path = prefix ? `${prefix}.${field.key}` : field.key;
    paths.add(path);
    const value = values[field.key];
    if (field.kind === "object") {
      knownPaths(field.fields ?? [], (value ?? {}) as Values, path).forEach((p) => paths.add(p));
    } else if (field.kind === "objectlist" && Array.isArray(value)) {
      value.forEach((item, index) =>
        knownPaths(field.fields ?? [], (item ?? {}) as Values, `${path}.${index}`).forEach((p) =>
          paths.add(p),
        ),
      );
    }
  }
  return paths;
}
