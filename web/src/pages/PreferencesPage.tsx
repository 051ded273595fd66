import { PreferencesForm } from "../preferences/PreferencesForm";
import { Subscriptions } from "../preferences/Subscriptions";
import { PushOptIn } from "../push/PushOptIn";

export function PreferencesPage() {
  return (
    <section className="page">
      <div className="page-header">
        <h1>Preferences</h1>
      </div>
      <PreferencesForm />
      <PushOptIn />
      <Subscriptions />
    </section>
  );
}
