import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";

import { useAuth } from "../auth/AuthProvider";
import { NotificationsRoot } from "../notifications/NotificationsRoot";
import { Bell } from "../notifications/Bell";
import { BellIcon } from "../components/BellIcon";
import { UserMenu } from "./UserMenu";
import { useDismiss } from "./useDismiss";

const ADMIN_LINKS: { to: string; label: string; permission: string }[] = [
  { to: "/admin/users", label: "Users", permission: "users:admin" },
  { to: "/admin/broadcast", label: "Broadcast", permission: "notifications:broadcast" },
  { to: "/admin/templates", label: "Templates", permission: "notifications:admin" },
  { to: "/admin/channels", label: "Channels", permission: "notifications:admin" },
  { to: "/admin/deliveries", label: "Deliveries", permission: "notifications:admin" },
  { to: "/admin/integrations", label: "Integrations", permission: "notifications:admin" },
  { to: "/admin/topics", label: "Topics", permission: "notifications:admin" },
  { to: "/admin/audit", label: "Audit log", permission: "audit:read" },
];

export function Layout() {
  const { can } = useAuth();
  const adminLinks = ADMIN_LINKS.filter((link) => can(link.permission));
  const location = useLocation();
  // Under 720 px the navigation folds behind a menu button (styles.css hides .main-nav).
  const [navOpen, setNavOpen] = useState(false);
  const header = useRef<HTMLElement>(null);
  const adminMenu = useRef<HTMLDetailsElement>(null);

  // Any navigation closes the phone menu and the Admin menu.
  useEffect(() => {
    setNavOpen(false);
    if (adminMenu.current) adminMenu.current.open = false;
  }, [location.pathname]);
  useDismiss(navOpen, header, () => setNavOpen(false));
  useDismiss(true, adminMenu, () => {
    if (adminMenu.current) adminMenu.current.open = false;
  });

  return (
    <NotificationsRoot>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header" ref={header}>
        <button
          type="button"
          className="icon-button nav-toggle"
          aria-label="Menu"
          aria-expanded={navOpen}
          aria-controls="main-nav"
          onClick={() => setNavOpen((was) => !was)}
        >
          <span aria-hidden="true">☰</span>
        </button>
        <NavLink to="/" className="brand">
          <BellIcon /> WakeDock
        </NavLink>
        <nav aria-label="Main" id="main-nav" className={`main-nav${navOpen ? " open" : ""}`}>
          <NavLink to="/" end>
            Home
          </NavLink>
          <NavLink to="/notifications">Notifications</NavLink>
          <NavLink to="/dashboards">Dashboards</NavLink>
          <NavLink to="/preferences">Preferences</NavLink>
          <NavLink to="/demo">Demo</NavLink>
          {adminLinks.length > 0 && (
            <details className="nav-group" ref={adminMenu}>
              <summary>Admin</summary>
              <div className="nav-group-panel">
                {adminLinks.map((link) => (
                  <NavLink key={link.to} to={link.to}>
                    {link.label}
                  </NavLink>
                ))}
              </div>
            </details>
          )}
        </nav>
        <div className="header-actions">
          <Bell />
          <UserMenu />
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </NotificationsRoot>
  );
}
