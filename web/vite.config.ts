import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The built UI goes inside the Python package so `wakedock serve` (and a wheel) carries it.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/wakedock/web/dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
