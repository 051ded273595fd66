"""WakeDock: self-hosted notification and dashboard service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wakedock")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
