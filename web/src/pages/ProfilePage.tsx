import { AccountForm } from "../profile/AccountForm";
import { ApiTokens } from "../profile/ApiTokens";
import { PasswordForm } from "../profile/PasswordForm";
import { SessionsList } from "../profile/SessionsList";
import "../profile/profile.css";

export function ProfilePage() {
  return (
    <section className="page">
      <div className="page-header">
        <h1>Profile</h1>
      </div>
      <div className="profile-grid">
        <AccountForm />
        <PasswordForm />
        <SessionsList />
        <ApiTokens />
      </div>
    </section>
  );
}
