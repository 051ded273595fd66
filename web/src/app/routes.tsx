// One element per screen; each page module belongs to its domain folder.
import { AdminAuditPage } from "../pages/admin/AdminAuditPage";
import { AdminBroadcastPage } from "../pages/admin/AdminBroadcastPage";
import { AdminChannelsPage } from "../pages/admin/AdminChannelsPage";
import { AdminDeliveriesPage } from "../pages/admin/AdminDeliveriesPage";
import { AdminIntegrationsPage } from "../pages/admin/AdminIntegrationsPage";
import { AdminTemplatesPage } from "../pages/admin/AdminTemplatesPage";
import { AdminTopicsPage } from "../pages/admin/AdminTopicsPage";
import { AdminUsersPage } from "../pages/admin/AdminUsersPage";
import { ConnectedAppsPage } from "../pages/ConnectedAppsPage";
import { DashboardPage } from "../pages/DashboardPage";
import { DashboardsPage } from "../pages/DashboardsPage";
import { DemoPage } from "../pages/DemoPage";
import { HomePage } from "../pages/HomePage";
import { NotificationsPage } from "../pages/NotificationsPage";
import { PreferencesPage } from "../pages/PreferencesPage";
import { ProfilePage } from "../pages/ProfilePage";
import { SharedDashboardPage } from "../pages/SharedDashboardPage";

export const routes = {
  home: <HomePage />,
  notifications: <NotificationsPage />,
  preferences: <PreferencesPage />,
  profile: <ProfilePage />,
  connectedApps: <ConnectedAppsPage />,
  dashboards: <DashboardsPage />,
  dashboard: <DashboardPage />,
  shared: <SharedDashboardPage />,
  demo: <DemoPage />,
  adminUsers: <AdminUsersPage />,
  adminBroadcast: <AdminBroadcastPage />,
  adminTemplates: <AdminTemplatesPage />,
  adminChannels: <AdminChannelsPage />,
  adminDeliveries: <AdminDeliveriesPage />,
  adminIntegrations: <AdminIntegrationsPage />,
  adminTopics: <AdminTopicsPage />,
  adminAudit: <AdminAuditPage />,
};
