"""Weight formats beyond the state dict: :mod:`.plan` (what a package kind gets), :mod:`.export_job` (the worker as
the build drives it), :mod:`.export_worker` (the fresh process that exports), :mod:`.crosscheck` (an export's
outputs against the state dict's)."""
