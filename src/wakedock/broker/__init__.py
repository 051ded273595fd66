"""Publish/subscribe between processes: in-memory by default, Redis when configured."""

from wakedock.broker.base import Broker, BrokerDisconnected, Subscription, create_broker

__all__ = ["Broker", "BrokerDisconnected", "Subscription", "create_broker"]
