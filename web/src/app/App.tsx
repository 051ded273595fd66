import { Navigate, Route, Routes, useLocation } from "react-router-dom";

import { useAuth } from "../auth/AuthProvider";
import { Layout } from "./Layout";
import { LoginPage } from "../pages/LoginPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { routes } from "./routes";

export function App() {
  const { me, loading } = useAuth();
  const location = useLocation();

  if (loading)
    return (
      <div className="splash" aria-busy="true">
        Loading…
      </div>
    );
  if (!me) {
    return (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/shared/:token" element={routes.shared} />
        <Route
          path="*"
          element={
            <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />
          }
        />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route path="/login" element={<Navigate to="/" replace />} />
      <Route path="/shared/:token" element={routes.shared} />
      <Route element={<Layout />}>
        <Route index element={routes.home} />
        <Route path="notifications" element={routes.notifications} />
        <Route path="preferences" element={routes.preferences} />
        <Route path="profile" element={routes.profile} />
        <Route path="connected-apps" element={routes.connectedApps} />
        <Route path="dashboards" element={routes.dashboards} />
        <Route path="dashboards/:id" element={routes.dashboard} />
        <Route path="demo" element={routes.demo} />
        <Route path="admin/users" element={routes.adminUsers} />
        <Route path="admin/broadcast" element={routes.adminBroadcast} />
        <Route path="admin/templates" element={routes.adminTemplates} />
        <Route path="admin/channels" element={routes.adminChannels} />
        <Route path="admin/deliveries" element={routes.adminDeliveries} />
        <Route path="admin/integrations" element={routes.adminIntegrations} />
        <Route path="admin/topics" element={routes.adminTopics} />
        <Route path="admin/audit" element={routes.adminAudit} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
