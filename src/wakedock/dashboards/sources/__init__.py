"""Widget data sources: the configured sources (router, schemas, service) and their kinds, one
module each behind ``base.DataSourceKind`` (``registry.KINDS``), with the single-flight TTL
cache (``cache``) and the guarded JSON GET upstream kinds use (``outbound``)."""
