"""Imports every domain's models so Alembic and tests see the whole schema."""

from wakedock.audit import models as audit_models
from wakedock.auth import models as auth_models
from wakedock.compat.gotify import models as gotify_models
from wakedock.dashboards import models as dashboard_models
from wakedock.db.base import Base
from wakedock.integrations import models as integration_models
from wakedock.notifications import models as notification_models

__all__ = [
    "Base",
    "audit_models",
    "auth_models",
    "dashboard_models",
    "gotify_models",
    "integration_models",
    "notification_models",
]
