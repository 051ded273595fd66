"""Publish/subscribe between processes: in-memory by default, Redis when configured."""

from wakedock.broker.base import Broker, Subscription, create_broker

__all__ = ["Broker", "Subscription", "create_broker"]
