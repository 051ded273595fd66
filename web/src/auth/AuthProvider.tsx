import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";

import { api, ApiError, unwrap, type Schemas } from "../api/client";
import { onSessionChange, readSession, sessionFromTokens, writeSession } from "../api/session";
import { authKeys } from "./keys";

export type Me = Schemas["Me"];

interface AuthState {
  me: Me | null;
  loading: boolean;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  can(permission: string): boolean;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [loggedIn, setLoggedIn] = useState(() => readSession() !== null);

  // Another tab logging in or out changes this one too.
  useEffect(
    () =>
      onSessionChange((session) => {
        setLoggedIn(session !== null);
        if (session === null) queryClient.clear();
      }),
    [queryClient],
  );

  const meQuery = useQuery({
    queryKey: authKeys.me,
    enabled: loggedIn,
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    retry: (count, error) => !(error instanceof ApiError && error.status === 401) && count < 2,
  });

  useEffect(() => {
    if (meQuery.error instanceof ApiError && meQuery.error.status === 401) writeSession(null);
  }, [meQuery.error]);

  const login = useCallback(
    async (username: string, password: string) => {
      const tokens = await unwrap(api.POST("/api/auth/login", { body: { username, password } }));
      queryClient.clear();
      writeSession(sessionFromTokens(tokens));
    },
    [queryClient],
  );

  const logout = useCallback(async () => {
    const session = readSession();
    if (session) {
      // Revoke server-side; a failure (offline) must not keep the user logged in here.
      await api.POST("/api/auth/logout").catch(() => undefined);
    }
    writeSession(null);
    queryClient.clear();
  }, [queryClient]);

  const me = loggedIn ? (meQuery.data ?? null) : null;
  const value = useMemo<AuthState>(
    () => ({
      me,
      loading: loggedIn && meQuery.isPending,
      login,
      logout,
      can: (permission) => me?.permissions.includes(permission) ?? false,
    }),
    [me, loggedIn, meQuery.isPending, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
