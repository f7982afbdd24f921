"""What several test modules share: a CLI runner, an HTTP server, micro-sam's exporter, the fuzz corpus."""
