// The permission guard of the admin screens: the page only for holders of the permission.
import type { ReactNode } from "react";

import { useAuth } from "../auth/AuthProvider";
import "./forms.css";

/** Renders the page only for holders of `permission`; others learn what they lack. */
export function RequirePermission({
  permission,
  title,
  children,
}: {
  permission: string;
  title: string;
  children: ReactNode;
}) {
  const { can } = useAuth();
  if (!can(permission)) {
    return (
      <section className="page">
        <h1>{title}</h1>
        <p className="notice error" role="alert">
          You need the permission <code>{permission}</code> to use this page. Ask an administrator
          for a role that grants it.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}
