"""What several test modules share: a CLI runner, an HTTP server, micro-sam's exporter, a built package's contents, the fuzz corpus."""
