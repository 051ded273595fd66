import { useMemo } from "react";

import { browserTimeZone, timeZones } from "./timeZones";

/** A searchable time zone field: type to filter the browser's IANA zones (native datalist). */
export function TimeZonePicker({
  value,
  onChange,
  inputProps,
}: {
  value: string;
  onChange: (zone: string) => void;
  inputProps: { id: string; "aria-invalid": boolean; "aria-describedby"?: string };
}) {
  const zones = useMemo(timeZones, []);
  const local = browserTimeZone();
  const listId = `${inputProps.id}-zones`;
  return (
    <div className="tz-picker">
      <input
        {...inputProps}
        list={listId}
        value={value}
        autoComplete="off"
        spellCheck={false}
        placeholder="Search, e.g. Europe/Paris"
        onChange={(event) => onChange(event.target.value)}
      />
      <datalist id={listId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {value !== local && (
        <button type="button" className="small ghost" onClick={() => onChange(local)}>
          Use this device's zone ({local})
        </button>
      )}
    </div>
  );
}
