import { useCallback, useEffect, useState } from "react";

import { errorMessage } from "../api/client";
import { currentSubscription, pushSupport, PushSetupError, subscribe, unsubscribe } from "./push";

type State =
  | { kind: "checking" }
  | { kind: "unsupported" | "insecure" | "denied" | "no-key" | "failed"; message: string }
  | { kind: "off" }
  | { kind: "on"; sub: PushSubscription };

const MESSAGES = {
  unsupported: "This browser cannot receive web push (no service worker or Push API).",
  insecure: "Web push needs a secure connection: open WakeDock over HTTPS (or on localhost).",
  denied:
    "Notifications are blocked for this site. Allow them in the browser's site settings, then reload.",
};

/** Opt this browser in or out of web push, with a clear word whenever it cannot. */
export function PushOptIn() {
  const [state, setState] = useState<State>({ kind: "checking" });
  const [busy, setBusy] = useState(false);

  const check = useCallback(async () => {
    const support = pushSupport();
    if (support !== "ok") {
      setState({ kind: support, message: MESSAGES[support] });
      return;
    }
    try {
      const sub = await currentSubscription();
      setState(sub ? { kind: "on", sub } : { kind: "off" });
    } catch (error) {
      setState({ kind: "failed", message: errorMessage(error) });
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  const enable = async () => {
    setBusy(true);
    try {
      const sub = await subscribe();
      setState({ kind: "on", sub });
    } catch (error) {
      if (error instanceof PushSetupError) setState({ kind: error.reason, message: error.message });
      else
        setState({
          kind: "failed",
          message: `Could not register this browser: ${errorMessage(error)}`,
        });
    } finally {
      setBusy(false);
    }
  };

  const disable = async () => {
    if (state.kind !== "on") return;
    setBusy(true);
    try {
      await unsubscribe(state.sub);
      setState({ kind: "off" });
    } catch (error) {
      setState({ kind: "failed", message: `Could not turn push off: ${errorMessage(error)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="prefs-section card" aria-labelledby="push-title">
      <h2 id="push-title">Web push on this browser</h2>
      <div className="push-state" data-push-state={state.kind}>
        <p
          role="status"
          aria-live="polite"
          className={state.kind === "on" ? "notice success" : "notice"}
        >
          {state.kind === "checking" && "Checking this browser…"}
          {state.kind === "on" &&
            "✓ Push is on: this browser shows WakeDock notifications even when the tab is closed."}
          {state.kind === "off" && "Push is off for this browser."}
          {"message" in state && state.message}
        </p>
        {state.kind === "on" && (
          <button type="button" onClick={() => void disable()} disabled={busy}>
            {busy ? "Turning off…" : "Turn off push on this browser"}
          </button>
        )}
        {(state.kind === "off" || state.kind === "failed" || state.kind === "no-key") && (
          <button type="button" className="primary" onClick={() => void enable()} disabled={busy}>
            {busy
              ? "Enabling…"
              : state.kind === "off"
                ? "Enable push on this browser"
                : "Try again"}
          </button>
        )}
      </div>
      <p className="muted">
        The "Web push" channel toggle above decides whether pushes are sent at all; this registers
        the browser you are using now.
      </p>
    </section>
  );
}
