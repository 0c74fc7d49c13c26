"""What operators see: Prometheus metrics, one JSON log line per request, request ids."""
