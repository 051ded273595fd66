// Renders the fields generated from a widget type's JSON Schema (see schemaForm.ts).
import { useId } from "react";

import type { FormField, Values } from "./schemaForm";

interface Props {
  fields: FormField[];
  values: Values;
  onChange: (path: string[], value: unknown) => void;
  errors: Record<string, string>;
  /** Dotted path of this level, used to look up errors ("config", "config.fields.0"). */
  prefix?: string;
  /** Path parts of this level inside `values` of the top form. */
  base?: string[];
}

export function SchemaForm({
  fields,
  values,
  onChange,
  errors,
  prefix = "config",
  base = [],
}: Props) {
  if (fields.length === 0) return <p className="muted">This widget has no settings.</p>;
  return (
    <div className="wd-schema-form">
      {fields.map((field) => (
        <SchemaField
          key={field.key}
          field={field}
          value={values[field.key]}
          onChange={onChange}
          errors={errors}
          path={`${prefix}.${field.key}`}
          parts={[...base, field.key]}
        />
      ))}
    </div>
  );
}

function Help({ id, field, error }: { id: string; field: FormField; error?: string }) {
  return (
    <>
      {field.description && (
        <small id={`${id}-help`} className="muted">
          {field.description}
        </small>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

function describedBy(id: string, field: FormField, error?: string): string | undefined {
  const ids = [field.description ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function SchemaField({
  field,
  value,
  onChange,
  errors,
  path,
  parts,
}: {
  field: FormField;
  value: unknown;
  onChange: Props["onChange"];
  errors: Record<string, string>;
  path: string;
  parts: string[];
}) {
  const id = useId();
  const error = errors[path];
  const aria = {
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy(id, field, error),
    "aria-required": field.required || undefined,
  } as const;
  const label = (
    <>
      {field.label}
      {field.required && <span aria-hidden="true"> *</span>}
    </>
  );
  const set = (next: unknown) => onChange(parts, next);

  switch (field.kind) {
    case "boolean":
      return (
        <div className="wd-field">
          <label className="inline" htmlFor={id}>
            <input
              id={id}
              type="checkbox"
              checked={value === true}
              onChange={(e) => set(e.target.checked)}
              {...aria}
            />
            {label}
          </label>
          <Help id={id} field={field} error={error} />
        </div>
      );
    case "enum": {
      const options = field.options ?? [];
      const index = options.findIndex((o) => o.value === value);
      return (
        <div className="wd-field">
          <label htmlFor={id}>{label}</label>
          <select
            id={id}
            value={index < 0 ? "" : String(index)}
            onChange={(e) =>
              set(e.target.value === "" ? undefined : options[Number(e.target.value)].value)
            }
            {...aria}
          >
            {(index < 0 || !field.required) && !options.some((o) => o.value === null) && (
              <option value="">{field.required ? "Choose…" : "(default)"}</option>
            )}
            {options.map((option, i) => (
              <option key={i} value={String(i)}>
                {option.label}
              </option>
            ))}
          </select>
          <Help id={id} field={field} error={error} />
        </div>
      );
    }
    case "multienum": {
      const chosen = Array.isArray(value) ? value : [];
      return (
        <fieldset
          className="wd-field"
          aria-describedby={describedBy(id, field, error)}
          aria-invalid={error ? true : undefined}
        >
          <legend>{label}</legend>
          <div className="wd-checks">
            {(field.options ?? []).map((option) => (
              <label key={String(option.value)} className="inline">
                <input
                  type="checkbox"
                  checked={chosen.includes(option.value)}
                  onChange={(e) =>
                    set(
                      e.target.checked
                        ? (field.options ?? [])
                            .map((o) => o.value)
                            .filter((v) => v === option.value || chosen.includes(v))
                        : chosen.filter((v) => v !== option.value),
                    )
                  }
                />
                {option.label}
              </label>
            ))}
          </div>
          <Help id={id} field={field} error={error} />
        </fieldset>
      );
    }
    case "stringlist":
      return (
        <div className="wd-field">
          <label htmlFor={id}>{label}</label>
          <textarea
            id={id}
            value={Array.isArray(value) ? value.join("\n") : ""}
            onChange={(e) => set(e.target.value.split("\n"))}
            {...aria}
          />
          <small className="muted">One per line.</small>
          <Help id={id} field={field} error={error} />
        </div>
      );
    case "number":
    case "integer":
      return (
        <div className="wd-field">
          <label htmlFor={id}>{label}</label>
          <input
            id={id}
            type="number"
            inputMode={field.kind === "integer" ? "numeric" : "decimal"}
            step={field.kind === "integer" ? 1 : "any"}
            min={field.minimum}
            max={field.maximum}
            value={typeof value === "number" && !Number.isNaN(value) ? value : ""}
            onChange={(e) => set(e.target.value === "" ? undefined : Number(e.target.value))}
            {...aria}
          />
          <Help id={id} field={field} error={error} />
        </div>
      );
    case "text":
      return (
        <div className="wd-field wd-field-wide">
          <label htmlFor={id}>{label}</label>
          <textarea
            id={id}
            rows={8}
            maxLength={field.maxLength}
            value={typeof value === "string" ? value : ""}
            onChange={(e) => set(e.target.value)}
            {...aria}
          />
          <Help id={id} field={field} error={error} />
        </div>
      );
    case "object":
      return (
        <fieldset className="wd-field wd-field-wide">
          <legend>{label}</legend>
          <SchemaForm
            fields={field.fields ?? []}
            values={(value ?? {}) as Values}
            onChange={onChange}
            errors={errors}
            prefix={path}
            base={parts}
          />
          <Help id={id} field={field} error={error} />
        </fieldset>
      );
    case "objectlist": {
      const items = Array.isArray(value) ? (value as Values[]) : [];
      const full = field.maxItems !== undefined && items.length >= field.maxItems;
      return (
        <fieldset
          className="wd-field wd-field-wide"
          aria-describedby={describedBy(id, field, error)}
        >
          <legend>{label}</legend>
          {items.length === 0 && <p className="muted">None yet.</p>}
          {items.map((item, index) => (
            <div
              key={index}
              className="wd-list-item"
              role="group"
              aria-label={`${field.label} ${index + 1}`}
            >
              <SchemaForm
                fields={field.fields ?? []}
                values={item ?? {}}
                onChange={onChange}
                errors={errors}
                prefix={`${path}.${index}`}
                base={[...parts, String(index)]}
              />
              <button
                type="button"
                className="ghost small danger"
                onClick={() => set(items.filter((_, i) => i !== index))}
                aria-label={`Remove ${field.label.toLowerCase()} ${index + 1}`}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="small"
            disabled={full}
            onClick={() => set([...items, {}])}
          >
            Add {field.label.toLowerCase().replace(/s$/, "")}
          </button>
          <Help id={id} field={field} error={error} />
        </fieldset>
      );
    }
    case "json":
      return (
        <div className="wd-field wd-field-wide">
          <label htmlFor={id}>{label} (JSON)</label>
          <textarea
            id={id}
            defaultValue={value === undefined ? "" : JSON.stringify(value, null, 2)}
            onBlur={(e) => {
              try {
                set(e.target.value.trim() === "" ? undefined : JSON.parse(e.target.value));
              } catch {
                /* the server reports it */
              }
            }}
            {...aria}
          />
          <Help id={id} field={field} error={error} />
        </div>
      );
    default:
      return (
        <div className="wd-field">
          <label htmlFor={id}>{label}</label>
          <input
            id={id}
            type="text"
            maxLength={field.maxLength}
            value={typeof value === "string" ? value : ""}
            onChange={(e) => set(e.target.value)}
            {...aria}
          />
          <Help id={id} field={field} error={error} />
        </div>
      );
  }
}
