"""Alerts and webhooks in: Alertmanager, Grafana, GitHub and generic signed hooks, each turned
into notifications through the notifications service."""
