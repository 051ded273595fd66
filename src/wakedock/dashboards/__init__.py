"""Dashboards: layouts of live widgets, data sources, templates, sharing, preferences."""
