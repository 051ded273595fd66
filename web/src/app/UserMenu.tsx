import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";

import { useAuth } from "../auth/AuthProvider";
import { applyTheme, storedTheme, type Theme } from "../components/theme";

export function UserMenu() {
  const { me, logout } = useAuth();
  const [open, setOpen] = useState(false);
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (
        event instanceof KeyboardEvent
          ? event.key === "Escape"
          : !root.current?.contains(event.target as Node)
      )
        setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  function chooseTheme(next: Theme) {
    setTheme(next);
    applyTheme(next);
  }

  return (
    <div className="menu" ref={root}>
      <button
        type="button"
        className="user-button"
        aria-expanded={open}
        aria-controls={open ? "user-menu" : undefined}
        onClick={() => setOpen(!open)}
      >
        <span className="avatar" aria-hidden="true">
          {me?.username.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-name">{me?.username}</span>
      </button>
      {open && (
        <div className="menu-panel" id="user-menu">
          <div className="menu-meta">
            <strong>{me?.username}</strong>
            <br />
            {me?.email}
            <br />
            <small>{me?.roles.join(", ")}</small>
          </div>
          <Link to="/profile" onClick={() => setOpen(false)}>
            Profile
          </Link>
          <Link to="/connected-apps" onClick={() => setOpen(false)}>
            Connected apps
          </Link>
          <Link to="/preferences" onClick={() => setOpen(false)}>
            Preferences
          </Link>
          <label className="menu-row">
            Theme
            <select value={theme} onChange={(e) => chooseTheme(e.target.value as Theme)}>
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
