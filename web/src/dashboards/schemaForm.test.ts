import { describe, expect, it } from "vitest";

import {
  cleanValues,
  fieldsFromSchema,
  initialValues,
  knownPaths,
  serverErrors,
  setPath,
  validate,
} from "./schemaForm";

const feed = {
  type: "object",
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 50 },
    unread_only: { type: "boolean" },
    priority: { enum: ["low", "high", null] },
  },
};
const stat = {
  type: "object",
  required: ["source", "query"],
  properties: {
    source: { type: "string", pattern: "^[a-z]+$", description: "uid" },
    query: { type: "string", minLength: 1 },
    metrics: { type: "array", items: { enum: ["cpu", "memory"] }, minItems: 1 },
    paths: { type: "array", items: { type: "string" } },
    markdown: { type: "string", maxLength: 20000 },
    fields: {
      type: "array",
      items: {
        type: "object",
        required: ["label"],
        properties: { label: { type: "string", minLength: 1 } },
      },
    },
    nested: { type: "object", properties: { x: { type: "number" } } },
  },
};

describe("fieldsFromSchema", () => {
  it("maps JSON Schema types to form fields", () => {
    const fields = fieldsFromSchema(feed);
    expect(fields.map((f) => [f.key, f.kind, f.path])).toEqual([
      ["limit", "integer", "config.limit"],
      ["unread_only", "boolean", "config.unread_only"],
      ["priority", "enum", "config.priority"],
    ]);
    expect(fields[0]).toMatchObject({ minimum: 1, maximum: 50, label: "Limit", required: false });
    expect(fields[2].options).toEqual([
      { value: "low", label: "Low" },
      { value: "high", label: "High" },
      { value: null, label: "Any" },
    ]);
  });

  it("handles arrays, text, nested objects and required keys", () => {
    const fields = fieldsFromSchema(stat);
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(byKey.source).toMatchObject({
      kind: "string",
      required: true,
      description: "uid",
      pattern: "^[a-z]+$",
    });
    expect(byKey.metrics).toMatchObject({ kind: "multienum", minItems: 1 });
    expect(byKey.paths.kind).toBe("stringlist");
    expect(byKey.markdown.kind).toBe("text");
    expect(byKey.fields.kind).toBe("objectlist");
    expect(byKey.fields.fields?.[0]).toMatchObject({ key: "label", required: true });
    expect(byKey.nested.fields?.[0]).toMatchObject({
      key: "x",
      kind: "number",
      path: "config.nested.x",
    });
  });

  it("offers data sources as choices for a source key", () => {
    const [source] = fieldsFromSchema(stat, "config", {
      sources: [{ value: "system", label: "System" }],
    });
    expect(source).toMatchObject({ kind: "enum", options: [{ value: "system", label: "System" }] });
  });
});

describe("values", () => {
  it("starts from the defaults overlaid with the current config", () => {
    expect(initialValues({ limit: 10, unread_only: false }, { limit: 3 })).toEqual({
      limit: 3,
      unread_only: false,
    });
  });

  it("leaves empty optional values out and trims lists", () => {
    const fields = fieldsFromSchema(stat);
    const clean = cleanValues(fields, {
      source: "system",
      query: "cpu.percent",
      paths: ["/", " ", "/var "],
      markdown: "  ",
      metrics: [],
      fields: [{ label: "A" }],
    });
    expect(clean).toEqual({
      source: "system",
      query: "cpu.percent",
      paths: ["/", "/var"],
      fields: [{ label: "A" }],
    });
  });

  it("keeps an explicit null choice", () => {
    expect(cleanValues(fieldsFromSchema(feed), { priority: null })).toEqual({ priority: null });
  });

  it("sets values at dotted paths, through arrays", () => {
    const values = setPath({ fields: [{ label: "a" }] }, ["fields", "0", "label"], "b");
    expect(values).toEqual({ fields: [{ label: "b" }] });
    expect(setPath({}, ["nested", "x"], 1)).toEqual({ nested: { x: 1 } });
  });
});

describe("validate", () => {
  it("reports required, range, length, pattern and item problems by path", () => {
    const errors = validate(fieldsFromSchema(stat), { source: "BAD", metrics: [], fields: [{}] });
    expect(errors).toEqual({
      "config.source": "This value has the wrong format",
      "config.query": "This field is required",
      "config.fields.0.label": "This field is required",
    });
    expect(validate(fieldsFromSchema(feed), { limit: 99 })).toEqual({
      "config.limit": "Must be at most 50",
    });
    expect(validate(fieldsFromSchema(feed), { limit: 1.5 })).toEqual({
      "config.limit": "Enter a whole number",
    });
  });
});

describe("serverErrors", () => {
  it("attaches server messages to the nearest rendered field", () => {
    const fields = fieldsFromSchema(stat);
    const known = knownPaths(fields, { fields: [{ label: "x" }] });
    expect(
      serverErrors(
        {
          "config.fields.0.label": "too short",
          "config.nested.x.deep": "bad",
          config: "'query' is a required property",
          other: "unknown",
        },
        known,
      ),
    ).toEqual({
      "config.fields.0.label": "too short",
      "config.nested.x": "bad",
      "config.query": "'query' is a required property",
      "": "unknown",
    });
  });
});
